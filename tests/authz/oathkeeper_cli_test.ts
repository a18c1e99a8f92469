/**
 * `apigw authz` serving APIRule v1beta1 rules end to end: a folder of v1beta1 APIRules, handler
 * defaults in Oathkeeper's config-file shape, a real RFC 7662 endpoint and session endpoint, and
 * the id_token JWKS on the management listener verifying what the check answers carry.
 */
import assert from "node:assert/strict";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { stringify } from "yaml";
import { GATEWAY } from "../../core/authz/_testing.ts";
import { apiRuleV1beta1, CLIENT, startIntrospection } from "../../proxy/oathkeeper/_testing.ts";
import { poll } from "../poll.ts";
import { http1 } from "./http1.ts";
import { startAuthz } from "./run_authz.ts";

function check(base: string, path: string, headers: Record<string, string> = {}) {
  return http1(base, path, { headers: { host: "orders.local.kyma.dev", ...headers } });
}

Deno.test("apigw authz serves v1beta1 access strategies with handler defaults and an id_token JWKS", async () => {
  await using endpoint = startIntrospection();
  endpoint.issue("opaque-1", {
    sub: "alice",
    scope: "orders:read",
    exp: Math.floor(Date.now() / 1000) + 600,
  });
  await using sessions = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) =>
      request.headers.get("cookie") === "ory_kratos_session=s1"
        ? Response.json({ subject: "bob", extra: {} })
        : new Response(null, { status: 401 }),
  );
  const dir = await Deno.makeTempDir({ prefix: "apigw-authz-v1beta1-" });
  try {
    await Deno.writeTextFile(
      `${dir}/defaults.yaml`,
      stringify({
        authenticators: {
          oauth2_introspection: {
            config: {
              introspection_url: endpoint.url,
              client_auth: { client_id: CLIENT.id, client_secret: CLIENT.secret },
            },
          },
          cookie_session: {
            config: {
              check_session_url: `http://127.0.0.1:${sessions.addr.port}/sessions/whoami`,
              preserve_path: true,
            },
          },
        },
        mutators: { id_token: { config: { issuer_url: "https://apigw.local" } } },
      }),
    );
    await Deno.mkdir(`${dir}/rules`);
    await Deno.writeTextFile(
      `${dir}/rules/rules.yaml`,
      [
        GATEWAY,
        apiRuleV1beta1("orders", [
          {
            path: "/orders/.*",
            accessStrategies: [{
              handler: "oauth2_introspection",
              config: { required_scope: ["orders:read"] },
            }],
            mutators: [{ handler: "id_token" }],
          },
          { path: "/account", accessStrategies: [{ handler: "cookie_session" }] },
        ]),
      ].map((o) => stringify(o)).join("---\n"),
    );
    await using authz = await startAuthz([
      "--config",
      `${dir}/rules`,
      "--handler-defaults",
      `${dir}/defaults.yaml`,
      "--debug-header",
    ]);
    await poll(
      async () => (await check(authz.managementUrl, "/readyz")).status === 200 || undefined,
      { what: "/readyz" },
    );
    const allowed = await check(authz.checkUrl, "/orders/1", { authorization: "Bearer opaque-1" });
    assert.equal(allowed.status, 200, allowed.headers.get("x-apigw-decision") ?? "");
    const idToken = (allowed.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    const { payload } = await jwtVerify(
      idToken,
      createRemoteJWKSet(new URL(`${authz.managementUrl}/.well-known/jwks.json`)),
      { issuer: "https://apigw.local" },
    );
    assert.equal(payload.sub, "alice");
    const inactive = await check(authz.checkUrl, "/orders/1", { authorization: "Bearer nope" });
    assert.equal(inactive.status, 401);
    assert.equal(
      (await check(authz.checkUrl, "/account", { cookie: "ory_kratos_session=s1" })).status,
      200,
    );
    assert.equal(
      (await check(authz.checkUrl, "/account", { cookie: "ory_kratos_session=x" })).status,
      401,
    );
    const metrics = await fetch(`${authz.managementUrl}/metrics`).then((r) => r.text());
    assert.match(metrics, /apigw_introspection_requests_total\{result="miss"\} 2/);
    assert.match(metrics, /apigw_authz_decisions_total\{result="allow",reason="token_active"\} 1/);
    assert.equal(await authz.stop(), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
