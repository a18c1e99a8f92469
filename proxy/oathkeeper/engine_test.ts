import assert from "node:assert/strict";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { startIdp } from "../../tests/authz/idp.ts";
import { DEBUG_HEADER } from "../responses.ts";
import { testApp } from "../_testing.ts";
import { apiRuleV1beta1, startIntrospection } from "./_testing.ts";

type App = ReturnType<typeof testApp>;

async function check(app: App, path: string, headers: Record<string, string> = {}, method = "GET") {
  const response = await app.request(path, { method, headers });
  await response.body?.cancel();
  return {
    status: response.status,
    debug: response.headers.get(DEBUG_HEADER) ?? "",
    headers: response.headers,
  };
}

Deno.test("accessStrategies: allow, no_auth, noop, anonymous and unauthorized, tried in order", async (t) => {
  await using app = testApp([apiRuleV1beta1("orders", [
    { path: "/allow", accessStrategies: [{ handler: "allow" }] },
    { path: "/no-auth", methods: ["GET", "POST"], accessStrategies: [{ handler: "no_auth" }] },
    { path: "/noop", accessStrategies: [{ handler: "noop" }] },
    {
      path: "/anonymous",
      accessStrategies: [{ handler: "anonymous" }],
      mutators: [{ handler: "header", config: { headers: { "X-User": "{{ print .Subject }}" } } }],
    },
    {
      path: "/anonymous-named",
      accessStrategies: [{ handler: "anonymous", config: { subject: "guest" } }],
      mutators: [{ handler: "header", config: { headers: { "X-User": "{{ .Subject }}" } } }],
    },
    { path: "/unauthorized", accessStrategies: [{ handler: "unauthorized" }] },
    {
      path: "/anonymous-then-unauthorized",
      accessStrategies: [{ handler: "anonymous" }, { handler: "unauthorized" }],
    },
    { path: "/regex/[0-9]+", accessStrategies: [{ handler: "noop" }] },
  ])]);
  const cases = [
    { name: "allow", path: "/allow", status: 200, reason: "allow_strategy" },
    { name: "no_auth", path: "/no-auth", status: 200, reason: "allow_strategy" },
    {
      name: "no_auth enforces methods",
      path: "/no-auth",
      method: "DELETE",
      status: 404,
      reason: "no_rule_matched",
    },
    { name: "noop", path: "/noop", status: 200, reason: "noop_strategy" },
    {
      name: "anonymous without Authorization",
      path: "/anonymous",
      status: 200,
      reason: "anonymous_strategy",
      header: ["x-user", "anonymous"],
    },
    {
      name: "anonymous with a configured subject",
      path: "/anonymous-named",
      status: 200,
      reason: "anonymous_strategy",
      header: ["x-user", "guest"],
    },
    {
      name: "anonymous is not responsible with Authorization",
      path: "/anonymous",
      headers: { authorization: "Bearer x" },
      status: 401,
      reason: "no_strategy_responsible",
    },
    { name: "unauthorized", path: "/unauthorized", status: 401, reason: "unauthorized_strategy" },
    {
      name: "anonymous first wins",
      path: "/anonymous-then-unauthorized",
      status: 200,
      reason: "anonymous_strategy",
    },
    {
      name: "then unauthorized when anonymous is not responsible",
      path: "/anonymous-then-unauthorized",
      headers: { authorization: "Basic x" },
      status: 401,
      reason: "unauthorized_strategy",
    },
    { name: "path is a full-match regex", path: "/regex/42", status: 200, reason: "noop_strategy" },
    {
      name: "a regex does not match a longer path",
      path: "/regex/42/x",
      status: 404,
      reason: "no_rule_matched",
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, async () => {
      const result = await check(app, tc.path, tc.headers ?? {}, tc.method ?? "GET");
      assert.equal(result.status, tc.status, result.debug);
      assert.match(result.debug, new RegExp(`reason=${tc.reason}`));
      if (tc.header !== undefined) assert.equal(result.headers.get(tc.header[0]!), tc.header[1]);
    });
  }
});

Deno.test("accessStrategies: jwt in the Ory dialect (jwks_urls, trusted_issuers, required_scope, target_audience)", async (t) => {
  await using idp = await startIdp();
  const jwt = (config: Record<string, unknown> = {}) => ({
    handler: "jwt",
    config: { jwks_urls: [idp.jwksUri], ...config },
  });
  await using app = testApp([apiRuleV1beta1("orders", [
    { path: "/plain", accessStrategies: [jwt()] },
    { path: "/issuer", accessStrategies: [jwt({ trusted_issuers: [idp.issuer] })] },
    { path: "/other-issuer", accessStrategies: [jwt({ trusted_issuers: ["https://other"] })] },
    { path: "/scope", accessStrategies: [jwt({ required_scope: ["orders:read"] })] },
    { path: "/audience", accessStrategies: [jwt({ target_audience: ["shop", "api"] })] },
    { path: "/es256-only", accessStrategies: [jwt({ allowed_algorithms: ["ES256"] })] },
    { path: "/fallback", accessStrategies: [jwt(), { handler: "anonymous" }] },
    {
      path: "/mutated",
      accessStrategies: [jwt()],
      mutators: [{
        handler: "header",
        config: {
          headers: { "X-User": "{{ print .Subject }}", "X-Email": "{{ print .Extra.email }}" },
        },
      }],
    },
  ])]);
  const good = await idp.sign({
    sub: "alice",
    scp: ["orders:read"],
    aud: ["shop", "api"],
    email: "a@example.com",
  });
  const bare = await idp.sign({ sub: "bob" });
  const expired = await idp.sign({ sub: "bob", exp: Math.floor(Date.now() / 1000) - 120 });
  const unknownKey = await idp.signUnknown({ sub: "eve" });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const cases = [
    {
      name: "valid token",
      path: "/plain",
      headers: bearer(bare),
      status: 200,
      reason: "jwt_valid",
    },
    {
      name: "no token: not responsible",
      path: "/plain",
      headers: {},
      status: 401,
      reason: "no_strategy_responsible",
    },
    {
      name: "not a JWT: not responsible",
      path: "/plain",
      headers: bearer("opaque-token"),
      status: 401,
      reason: "no_strategy_responsible",
    },
    {
      name: "not responsible falls through to anonymous",
      path: "/fallback",
      headers: {},
      status: 200,
      reason: "anonymous_strategy",
    },
    {
      name: "a bad JWT stops the chain",
      path: "/fallback",
      headers: bearer(expired),
      status: 401,
      reason: "token_expired",
    },
    {
      name: "expired",
      path: "/plain",
      headers: bearer(expired),
      status: 401,
      reason: "token_expired",
    },
    {
      name: "unknown key",
      path: "/plain",
      headers: bearer(unknownKey),
      status: 401,
      reason: "unknown_key",
    },
    {
      name: "trusted issuer",
      path: "/issuer",
      headers: bearer(bare),
      status: 200,
      reason: "jwt_valid",
    },
    {
      name: "untrusted issuer",
      path: "/other-issuer",
      headers: bearer(bare),
      status: 403,
      reason: "issuer_not_trusted",
    },
    {
      name: "required scope present",
      path: "/scope",
      headers: bearer(good),
      status: 200,
      reason: "jwt_valid",
    },
    {
      name: "required scope missing (cached token)",
      path: "/scope",
      headers: bearer(bare),
      status: 403,
      reason: "insufficient_scope",
    },
    {
      name: "target audience all-of",
      path: "/audience",
      headers: bearer(good),
      status: 200,
      reason: "jwt_valid",
    },
    {
      name: "target audience missing",
      path: "/audience",
      headers: bearer(bare),
      status: 403,
      reason: "audience_not_allowed",
    },
    {
      name: "algorithm not allowed",
      path: "/es256-only",
      headers: bearer(bare),
      status: 401,
      reason: "algorithm_not_allowed",
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, async () => {
      const result = await check(app, tc.path, tc.headers);
      assert.equal(result.status, tc.status, result.debug);
      assert.match(result.debug, new RegExp(`reason=${tc.reason}`));
    });
  }
  await t.step("mutators read the subject and claims", async () => {
    const result = await check(app, "/mutated", bearer(good));
    assert.equal(result.status, 200);
    assert.equal(result.headers.get("x-user"), "alice");
    assert.equal(result.headers.get("x-email"), "a@example.com");
  });
});

Deno.test("accessStrategies: jwt in the Istio dialect (authentications, authorizations)", async () => {
  await using idp = await startIdp();
  await using app = testApp([apiRuleV1beta1("orders", [{
    path: "/.*",
    accessStrategies: [{
      handler: "jwt",
      config: {
        authentications: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }],
        authorizations: [{ requiredScopes: ["read"] }],
      },
    }],
  }])]);
  const ok = await check(app, "/x", {
    authorization: `Bearer ${await idp.sign({ scope: "read" })}`,
  });
  assert.equal(ok.status, 200, ok.debug);
  const scope = await check(app, "/x", {
    authorization: `Bearer ${await idp.sign({ scope: "write" })}`,
  });
  assert.equal(scope.status, 403);
  assert.match(scope.debug, /reason=insufficient_scope/);
  const none = await check(app, "/x");
  assert.equal(none.status, 401);
  assert.match(none.debug, /reason=no_strategy_responsible/);
});

Deno.test("accessStrategies: cookie_session asks the session endpoint with the request's cookies", async (t) => {
  const seen: Array<
    {
      url: string;
      method: string;
      cookie: string | null;
      host: string | null;
      extra: string | null;
    }
  > = [];
  let status = 200;
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    seen.push({
      url: request.url,
      method: request.method,
      cookie: request.headers.get("cookie"),
      host: request.headers.get("x-forwarded-host"),
      extra: request.headers.get("x-extra"),
    });
    if (status !== 200) return new Response("no", { status });
    return Response.json({ identity: { id: "carol" }, subject: "carol", extra: { role: "admin" } });
  });
  const url = `http://127.0.0.1:${server.addr.port}/sessions/whoami`;
  const session = (config: Record<string, unknown> = {}) => ({
    handler: "cookie_session",
    config: { check_session_url: url, preserve_path: true, ...config },
  });
  await using app = testApp([apiRuleV1beta1("orders", [
    {
      path: "/s",
      accessStrategies: [session()],
      mutators: [{
        handler: "header",
        config: {
          headers: { "X-User": "{{ print .Subject }}", "X-Role": "{{ print .Extra.role }}" },
        },
      }],
    },
    { path: "/only", accessStrategies: [session({ only: ["ory_session"] })] },
    {
      path: "/options",
      methods: ["POST"],
      accessStrategies: [
        session({
          preserve_path: false,
          force_method: "GET",
          preserve_host: true,
          subject_from: "identity.id",
          additional_headers: { "X-Extra": "1" },
        }),
      ],
      mutators: [{ handler: "header", config: { headers: { "X-User": "{{ print .Subject }}" } } }],
    },
  ])]);
  await t.step("a valid session authenticates; subject and extra feed the mutators", async () => {
    const result = await check(app, "/s", { cookie: "ory_session=abc; theme=dark" });
    assert.equal(result.status, 200, result.debug);
    assert.equal(result.headers.get("x-user"), "carol");
    assert.equal(result.headers.get("x-role"), "admin");
    assert.equal(seen.at(-1)?.cookie, "ory_session=abc; theme=dark");
    assert.equal(new URL(seen.at(-1)!.url).pathname, "/sessions/whoami");
  });
  await t.step("no cookie: not responsible", async () => {
    const result = await check(app, "/s");
    assert.equal(result.status, 401);
    assert.match(result.debug, /reason=no_strategy_responsible/);
  });
  await t.step("only forwards the listed cookies and needs one of them", async () => {
    assert.match(
      (await check(app, "/only", { cookie: "theme=dark" })).debug,
      /no_strategy_responsible/,
    );
    assert.equal((await check(app, "/only", { cookie: "theme=dark; ory_session=x" })).status, 200);
    assert.equal(seen.at(-1)?.cookie, "ory_session=x");
  });
  await t.step(
    "preserve_path false, force_method, preserve_host, subject_from, additional_headers",
    async () => {
      const result = await check(app, "/options?q=1", { cookie: "ory_session=abc" }, "POST");
      assert.equal(result.status, 200, result.debug);
      const last = seen.at(-1)!;
      assert.equal(new URL(last.url).pathname, "/options");
      assert.equal(new URL(last.url).search, "");
      assert.equal(last.method, "GET");
      assert.equal(last.host, "orders.local.kyma.dev");
      assert.equal(last.extra, "1");
      assert.equal(result.headers.get("x-user"), "carol");
    },
  );
  await t.step(
    "a 401 from the session endpoint is session_invalid, a 5xx session_check_failed",
    async () => {
      status = 401;
      const invalid = await check(app, "/s", { cookie: "ory_session=abc" });
      assert.equal(invalid.status, 401);
      assert.match(invalid.debug, /reason=session_invalid/);
      status = 500;
      const failed = await check(app, "/s", { cookie: "ory_session=abc" });
      assert.equal(failed.status, 503);
      assert.match(failed.debug, /reason=session_check_failed/);
      status = 200;
    },
  );
});

Deno.test("mutators: header and cookie values are templated, validated, and overwrite client copies", async (t) => {
  await using endpoint = startIntrospection();
  endpoint.issue("tok", {
    sub: "dave",
    ext: { team: "blue" },
    username: "d\r\nx: injected",
    exp: Math.floor(Date.now() / 1000) + 600,
  });
  const introspection = {
    handler: "oauth2_introspection",
    config: {
      introspection_url: endpoint.url,
      client_auth: { client_id: "apigw", client_secret: "s3cret:&" },
    },
  };
  await using app = testApp([apiRuleV1beta1("orders", [
    {
      path: "/header",
      accessStrategies: [introspection],
      mutators: [{
        handler: "header",
        config: {
          headers: {
            "X-User": "{{ print .Subject }}",
            "X-Team": "{{ .Extra.team }}",
            "X-Path": "{{ .MatchContext.URL.Path }}",
          },
        },
      }],
    },
    {
      path: "/cookie",
      accessStrategies: [introspection],
      mutators: [{
        handler: "cookie",
        config: { cookies: { user: "{{ print .Subject }}", team: "{{ .Extra.team }}" } },
      }],
    },
    {
      path: "/split",
      accessStrategies: [introspection],
      mutators: [{
        handler: "header",
        config: { headers: { "X-Name": "{{ print .Extra.username }}" } },
      }],
    },
    {
      path: "/both",
      accessStrategies: [introspection],
      mutators: [{ handler: "header", config: { headers: { "X-A": "1" } } }, {
        handler: "header",
        config: { headers: { "X-A": "2" } },
      }, { handler: "noop" }],
    },
  ])]);
  const bearer = { authorization: "Bearer tok" };
  await t.step("header", async () => {
    const result = await check(app, "/header", { ...bearer, "x-user": "mallory" });
    assert.equal(result.status, 200, result.debug);
    assert.equal(
      result.headers.get("x-user"),
      "dave",
      "the answer carries apigw's value; Envoy overwrites the client's",
    );
    assert.equal(result.headers.get("x-team"), "blue");
    assert.equal(result.headers.get("x-path"), "/header");
  });
  await t.step("cookie keeps other client cookies and replaces same-named ones", async () => {
    const result = await check(app, "/cookie", { ...bearer, cookie: "user=mallory; theme=dark" });
    assert.equal(result.status, 200, result.debug);
    assert.equal(result.headers.get("cookie"), "theme=dark; user=dave; team=blue");
  });
  await t.step("a value with CR/LF fails the request, never splits a header", async () => {
    const result = await check(app, "/split", bearer);
    assert.equal(result.status, 500);
    assert.match(result.debug, /step=headers; reason=mutator_failed/);
    assert.equal(result.headers.get("x-name"), null);
  });
  await t.step("later mutators overwrite earlier values", async () => {
    const result = await check(app, "/both", bearer);
    assert.equal(result.headers.get("x-a"), "2");
  });
});

Deno.test("mutators: id_token signs with apigw's key; the JWKS verifies it", async () => {
  await using app = testApp([apiRuleV1beta1("orders", [{
    path: "/id",
    accessStrategies: [{ handler: "anonymous" }],
    mutators: [{
      handler: "id_token",
      config: {
        issuer_url: "https://apigw.example",
        ttl: "2m",
        claims: '{"aud": ["backend"], "who": "{{ print .Subject }}"}',
      },
    }],
  }])]);
  const result = await check(app, "/id");
  assert.equal(result.status, 200, result.debug);
  const authorization = result.headers.get("authorization") ?? "";
  assert.match(authorization, /^Bearer /);
  const jwks = await app.oathkeeper.signer.jwks();
  assert.equal(jwks.keys.length, 3, "previous, current and next key");
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json(jwks),
  );
  const { payload, protectedHeader } = await jwtVerify(
    authorization.slice(7),
    createRemoteJWKSet(new URL(`http://127.0.0.1:${server.addr.port}/`)),
    { issuer: "https://apigw.example", audience: "backend" },
  );
  assert.equal(protectedHeader.alg, "ES256");
  assert.equal(payload.sub, "anonymous");
  assert.equal(payload.who, "anonymous");
  assert.equal(payload.exp! - payload.iat!, 120);
});
