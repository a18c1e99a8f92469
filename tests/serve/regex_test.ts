/**
 * `apigw serve` and author-written regexes (issue 14): a v1beta1 rule path and CORS
 * `allowOrigins` regexes that backtrack catastrophically in JavaScript are matched in linear time
 * (RE2), so a hostile request does not stall the gateway; patterns RE2 refuses are reported at
 * load by object and field and not served.
 */
import assert from "node:assert/strict";
import { apiRule, startGateway, startUpstream, upstreamService } from "./_gateway.ts";

// `/api/(a+)+/x` doubles its backtracking work per `a`: 32 of them take minutes in V8's engine.
const HOSTILE_PATH = `/api/${"a".repeat(32)}!`;
const HOSTILE_ORIGIN = `https://${"a".repeat(32)}!`;
const DEADLINE_MS = 5_000; // generous on a busy machine; a backtracking engine needs minutes

function legacy(name: string, port: number, path: string, allowOrigins: unknown[]): string {
  return JSON.stringify({
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name, namespace: "test" },
    spec: {
      host: `${name}.test`,
      gateway: "kyma-system/kyma-gateway",
      service: { name: "upstream", port },
      corsPolicy: { allowOrigins, allowMethods: ["GET"] },
      rules: [{ path, methods: ["GET", "OPTIONS"], accessStrategies: [{ handler: "no_auth" }] }],
    },
  });
}

async function timed(
  request: Promise<Response>,
): Promise<{ status: number; ms: number; headers: Headers }> {
  const started = performance.now();
  const response = await request;
  await response.body?.cancel();
  return { status: response.status, ms: performance.now() - started, headers: response.headers };
}

Deno.test("apigw serve matches author regexes in linear time and refuses what RE2 refuses", async (t) => {
  await using upstream = await startUpstream();
  await using gateway = await startGateway({
    "service.json": upstreamService(upstream.port),
    "hostile.json": legacy("hostile", upstream.port, "/api/(a+)+/x", [
      { regex: "https://(a+)+\\.test" },
    ]),
    "normal.json": apiRule("normal", { host: "normal.test", port: upstream.port }, [
      { path: "/{**}", methods: ["GET"], noAuth: true },
    ]),
    "unclosed.json": legacy("unclosed", upstream.port, "/orders/(a", [{ exact: "https://x" }]),
    "lookahead.json": apiRule("lookahead", { host: "lookahead.test", port: upstream.port }, [
      { path: "/{**}", methods: ["GET"], noAuth: true },
    ], { corsPolicy: { allowOrigins: [{ exact: "https://x" }, { regex: "https://(?=x).*" }] } }),
  });

  await t.step("the v1beta1 regex rule and its CORS regex are served", async () => {
    const matched = await gateway.fetch(`http://hostile.test/api/${"a".repeat(64)}/x`);
    assert.equal(matched.status, 200);
    assert.equal((await matched.json()).path, `/api/${"a".repeat(64)}/x`);
    const preflight = await timed(gateway.fetch("http://hostile.test/api/aa/x", {
      method: "OPTIONS",
      headers: { origin: "https://aaaa.test", "access-control-request-method": "GET" },
    }));
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://aaaa.test");
  });

  await t.step(
    "hostile path and origin answer, and a concurrent request answers promptly",
    async () => {
      const started = performance.now();
      const [path, origin, normal] = await Promise.all([
        timed(gateway.fetch(`http://hostile.test${HOSTILE_PATH}`)),
        timed(gateway.fetch("http://hostile.test/api/aa/x", {
          method: "OPTIONS",
          headers: { origin: HOSTILE_ORIGIN, "access-control-request-method": "GET" },
        })),
        timed(gateway.fetch("http://normal.test/ping")),
      ]);
      assert.equal(path.status, 404, "no rule matches the hostile path");
      assert.equal(origin.headers.get("access-control-allow-origin"), null, "origin not allowed");
      assert.equal(normal.status, 200);
      assert.ok(normal.ms < DEADLINE_MS, `normal request took ${normal.ms} ms`);
      assert.ok(performance.now() - started < DEADLINE_MS, "hostile requests were answered");
    },
  );

  await t.step("patterns RE2 refuses are reported by object and field, not served", async () => {
    const events = gateway.logs.map((l) => JSON.parse(l));
    const unclosed = events.find((e) => e.object === "APIRule test/unclosed");
    assert.equal(
      unclosed?.reason,
      'spec.rules[0].path: "/orders/(a" is not a valid RE2 regular expression: ' +
        "missing closing ): `/orders/(a`",
    );
    const lookahead = events.find((e) => e.object === "APIRule test/lookahead");
    assert.equal(lookahead?.field, "spec.corsPolicy.allowOrigins[1].regex");
    assert.equal(
      lookahead?.reason,
      '"https://(?=x).*" is not a valid RE2 regular expression: ' +
        "invalid or unsupported Perl syntax: `(?=`",
    );
    for (const host of ["unclosed.test", "lookahead.test"]) {
      const response = await gateway.fetch(`http://${host}/orders/a`);
      assert.equal(response.status, 404, host);
      await response.body?.cancel();
    }
  });
});
