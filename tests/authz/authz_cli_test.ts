/**
 * `apigw authz` end to end in standalone mode: started through the CLI dispatcher on free
 * ports, deciding from a folder that the test edits while it runs, stopped by its signal.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { runCli } from "../../cli/mod.ts";
import { startAuthz } from "./run_authz.ts";
import { apiRule, GATEWAY } from "../../core/authz/_testing.ts";
import { poll } from "../poll.ts";
import { http1 } from "./http1.ts";
import { startIdp } from "./idp.ts";

function check(base: string, path: string, headers: Record<string, string> = {}) {
  return http1(base, path, { headers: { host: "orders.local.kyma.dev", ...headers } });
}

Deno.test("apigw authz decides from a watched folder and keeps the last good index", async () => {
  await using idp = await startIdp();
  const dir = await Deno.makeTempDir({ prefix: "apigw-authz-" });
  const jwt = { authentications: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }] };
  const write = (rules: Parameters<typeof apiRule>[1]) =>
    Deno.writeTextFile(
      `${dir}/rules.yaml`,
      [GATEWAY, apiRule("orders", rules)].map((o) => stringify(o)).join("---\n"),
    );
  await write([{ path: "/public", noAuth: true }, { path: "/admin", jwt }]);
  try {
    await using authz = await startAuthz([
      "--config",
      dir,
      "--path-prefix",
      "/ext-authz",
      "--debug-header",
    ]);
    await poll(
      async () => (await check(authz.managementUrl, "/readyz")).status === 200 || undefined,
      { what: "/readyz" },
    );
    assert.equal((await check(authz.checkUrl, "/ext-authz/public")).status, 200);
    const denied = await check(authz.checkUrl, "/ext-authz/admin");
    assert.equal(denied.status, 401);
    assert.equal(
      denied.headers.get("x-apigw-decision"),
      "deny; step=authenticate; reason=missing_token; rule=default/orders#1",
    );
    const token = await idp.sign();
    const allowed = await check(authz.checkUrl, "/ext-authz/admin", {
      authorization: `Bearer ${token}`,
    });
    assert.equal(allowed.status, 200);
    assert.equal((await check(authz.checkUrl, "/ext-authz/new")).status, 404);

    await write([{ path: "/public", noAuth: true }, { path: "/admin", jwt }, {
      path: "/new",
      noAuth: true,
    }]);
    await poll(
      async () => (await check(authz.checkUrl, "/ext-authz/new")).status === 200 || undefined,
      {
        what: "the new rule to be served",
      },
    );

    await Deno.writeTextFile(`${dir}/broken.yaml`, "a: [unclosed");
    await poll(
      () => authz.logs.find((l) => l.msg === "Rejected config; keeping the last good one"),
      {
        what: "the failed reload",
      },
    );
    assert.equal(
      (await check(authz.checkUrl, "/ext-authz/new")).status,
      200,
      "last good index kept",
    );

    const metrics = await fetch(`${authz.managementUrl}/metrics`).then((r) => r.text());
    assert.match(metrics, /apigw_authz_decisions_total\{result="deny",reason="missing_token"\} 1/);
    assert.match(metrics, /apigw_authz_decision_seconds_bucket\{le="\+Inf"\} \d+/);
    assert.match(metrics, /apigw_jwks_fetches_total\{jwks_uri="[^"]+",result="ok"\} 1/);
    assert.match(metrics, /apigw_jwt_cache_hit_ratio /);
    assert.match(metrics, /apigw_authz_index_reloads_total\{result="error"\} 1/);
    assert.equal((await check(authz.managementUrl, "/healthz")).status, 200);
    assert.equal(await authz.stop(), 0, "a shutdown signal ends the command cleanly");
    assert.ok(authz.logs.some((l) => l.msg === "Stopped ext_authz"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("apigw authz refuses to start on an unreadable folder", async () => {
  const errors: string[] = [];
  const code = await runCli(
    ["authz", "--config", "/nonexistent/apigw", "--listen", "127.0.0.1:0"],
    {
      stdout: () => {},
      stderr: (text) => errors.push(text),
      env: () => undefined,
      signal: new AbortController().signal,
    },
  );
  assert.equal(code, 1);
  assert.match(errors.join(""), /Cannot read "\/nonexistent\/apigw"/);
});
