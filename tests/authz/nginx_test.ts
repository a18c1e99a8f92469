/**
 * Interop through a real proxy: Debian's nginx with `auth_request` in front of a real upstream,
 * `apigw authz` (started through the CLI) deciding. Allowed requests reach the upstream; 401 and
 * 403 reach the client with their WWW-Authenticate and decision headers.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { apiRule, GATEWAY } from "../../core/authz/_testing.ts";
import { startNginx } from "../nginx/nginx.ts";
import { startAuthz } from "./run_authz.ts";
import { http1 } from "./http1.ts";
import { startIdp } from "./idp.ts";

Deno.test("nginx auth_request with apigw authz: allowed, 401 and 403 reach the client", async (t) => {
  await using idp = await startIdp();
  const dir = await Deno.makeTempDir({ prefix: "apigw-nginx-rules-" });
  const jwt = (authorizations?: { requiredScopes: string[] }[]) => ({
    authentications: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }],
    ...(authorizations ? { authorizations } : {}),
  });
  await Deno.writeTextFile(
    `${dir}/rules.yaml`,
    [
      GATEWAY,
      apiRule("orders", [
        { path: "/public/{**}", noAuth: true },
        { path: "/admin", jwt: jwt() },
        { path: "/scoped", jwt: jwt([{ requiredScopes: ["orders:write"] }]) },
      ]),
    ].map((o) => stringify(o)).join("---\n"),
  );
  await using upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) =>
      new Response(`upstream saw ${new URL(request.url).pathname}`, {
        headers: {
          "x-upstream": "yes",
          "x-saw-authorization": String(request.headers.has("authorization")),
        },
      }),
  );
  try {
    await using authz = await startAuthz([
      "--config",
      dir,
      "--path-prefix",
      "/ext-authz",
      "--debug-header",
    ]);
    const authzPort = new URL(authz.checkUrl).port;
    await using nginx = await startNginx((port) => `
  server {
    listen 127.0.0.1:${port};
    location / {
      auth_request /_apigw_authz;
      auth_request_set $apigw_decision $upstream_http_x_apigw_decision;
      add_header X-Apigw-Decision $apigw_decision always;
      proxy_pass http://127.0.0.1:${upstream.addr.port};
    }
    location = /_apigw_authz {
      internal;
      proxy_pass http://127.0.0.1:${authzPort}/ext-authz$request_uri;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Host $host;
    }
  }`);
    const token = await idp.sign({ scope: "orders:read" });
    const send = (path: string, headers: Record<string, string> = {}) =>
      http1(nginx.url, path, { headers: { host: "orders.local.kyma.dev", ...headers } });

    await t.step("allowed: the upstream answers", async () => {
      const response = await send("/public/a");
      assert.equal(response.status, 200);
      assert.equal(response.body, "upstream saw /public/a");
      assert.equal(response.headers.get("x-upstream"), "yes");
      assert.equal(
        response.headers.get("x-apigw-decision"),
        "allow; step=authorize; reason=no_auth; rule=default/orders#0",
      );
    });
    await t.step("allowed with a token, which the upstream still sees", async () => {
      const response = await send("/admin", { authorization: `Bearer ${token}` });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-saw-authorization"), "true");
    });
    await t.step("401 with the RFC 6750 challenge", async () => {
      const response = await send("/admin");
      assert.equal(response.status, 401);
      assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="apigw"');
      assert.equal(
        response.headers.get("x-apigw-decision"),
        "deny; step=authenticate; reason=missing_token; rule=default/orders#1",
      );
      assert.equal(response.headers.get("x-upstream"), null);
    });
    await t.step("401 for an invalid token", async () => {
      const response = await send("/admin", { authorization: "Bearer not.a.jwt" });
      assert.equal(response.status, 401);
      assert.equal(
        response.headers.get("www-authenticate"),
        'Bearer realm="apigw", error="invalid_token"',
      );
    });
    await t.step("403 for a missing scope", async () => {
      const response = await send("/scoped", { authorization: `Bearer ${token}` });
      assert.equal(response.status, 403);
      assert.equal(
        response.headers.get("x-apigw-decision"),
        "deny; step=authorize; reason=insufficient_scope; rule=default/orders#2",
      );
      assert.equal(response.headers.get("x-upstream"), null);
    });
    await t.step("§8-16 an encoded traversal is judged on the canonical path", async () => {
      const response = await send("/public/%2e%2e/admin");
      assert.equal(response.status, 401);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
