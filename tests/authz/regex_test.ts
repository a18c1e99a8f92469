/**
 * `apigw authz` and v1beta1 rule paths (issue 14): a path regex that backtracks catastrophically
 * in JavaScript is matched in linear time (RE2), so a hostile check does not stall concurrent
 * checks; a path RE2 refuses is skipped at load by name with the exact reason.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { GATEWAY } from "../../core/authz/_testing.ts";
import { apiRuleV1beta1 } from "../../proxy/oathkeeper/_testing.ts";
import { poll } from "../poll.ts";
import { http1 } from "./http1.ts";
import { startAuthz } from "./run_authz.ts";

const DEADLINE_MS = 5_000; // generous on a busy machine; a backtracking engine needs minutes

async function timedCheck(base: string, path: string) {
  const started = performance.now();
  const response = await http1(base, path, { headers: { host: "orders.local.kyma.dev" } });
  return { status: response.status, ms: performance.now() - started };
}

Deno.test("apigw authz matches v1beta1 path regexes in linear time and skips what RE2 refuses", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apigw-authz-regex-" });
  try {
    await Deno.writeTextFile(
      `${dir}/rules.yaml`,
      [
        GATEWAY,
        apiRuleV1beta1("orders", [
          { path: "/api/(a+)+/x", accessStrategies: [{ handler: "allow" }] },
          { path: "/health", accessStrategies: [{ handler: "allow" }] },
        ]),
        apiRuleV1beta1("lookahead", [
          { path: "/a(?!b).*", accessStrategies: [{ handler: "allow" }] },
        ], { host: "lookahead.local.kyma.dev" }),
      ].map((o) => stringify(o)).join("---\n"),
    );
    await using authz = await startAuthz(["--config", dir]);
    await poll(
      async () => (await http1(authz.managementUrl, "/readyz")).status === 200 || undefined,
      { what: "/readyz" },
    );
    const matched = await timedCheck(authz.checkUrl, `/api/${"a".repeat(64)}/x`);
    assert.equal(matched.status, 200);

    // 32 `a`s: minutes of backtracking in V8's engine, one linear pass in RE2.
    const started = performance.now();
    const [hostile, normal] = await Promise.all([
      timedCheck(authz.checkUrl, `/api/${"a".repeat(32)}!`),
      timedCheck(authz.checkUrl, "/health"),
    ]);
    assert.notEqual(hostile.status, 200, "no rule matches the hostile path");
    assert.equal(normal.status, 200);
    assert.ok(normal.ms < DEADLINE_MS, `concurrent check took ${normal.ms} ms`);
    assert.ok(performance.now() - started < DEADLINE_MS, "the hostile check was answered");

    const skipped = authz.logs.find((l) =>
      l.msg === "Not serving object" && l.object === "APIRule default/lookahead"
    );
    assert.equal(
      skipped?.reason,
      'spec.rules[0].path: "/a(?!b).*" is not a valid RE2 regular expression: ' +
        "invalid or unsupported Perl syntax: `(?!`",
    );
    assert.equal(await authz.stop(), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
