import assert from "node:assert/strict";
import { DEBUG_HEADER } from "../responses.ts";
import { testApp } from "../_testing.ts";
import { compileStrategy } from "../../core/authz/oathkeeper/strategies.ts";
import { createIntrospector } from "./introspection.ts";
import {
  apiRuleV1beta1,
  CLIENT,
  startIntrospection,
  testClock,
  type TestIntrospection,
} from "./_testing.ts";

const BASIC = { client_auth: { client_id: CLIENT.id, client_secret: CLIENT.secret } };

function introspection(endpoint: TestIntrospection, config: Record<string, unknown> = {}) {
  return {
    handler: "oauth2_introspection",
    config: { introspection_url: endpoint.url, ...BASIC, ...config },
  };
}

async function check(
  app: ReturnType<typeof testApp>,
  path: string,
  token?: string,
  headers: Record<string, string> = {},
) {
  const response = await app.request(path, {
    headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
  await response.body?.cancel();
  return {
    status: response.status,
    debug: response.headers.get(DEBUG_HEADER) ?? "",
    headers: response.headers,
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

Deno.test("oauth2_introspection: the cache never grants a scope or audience the token lacks (GHSA-qvp4-rpmr-xwrr)", async () => {
  await using endpoint = startIntrospection();
  endpoint.issue("tok-read", {
    scope: "read",
    aud: ["shop"],
    sub: "alice",
    exp: nowSeconds() + 3600,
  });
  await using app = testApp([apiRuleV1beta1("orders", [
    { path: "/read", accessStrategies: [introspection(endpoint, { required_scope: ["read"] })] },
    { path: "/write", accessStrategies: [introspection(endpoint, { required_scope: ["write"] })] },
    {
      path: "/audience",
      accessStrategies: [introspection(endpoint, { target_audience: ["admin"] })],
    },
  ])]);
  const read = await check(app, "/read", "tok-read");
  assert.equal(read.status, 200, read.debug);
  assert.match(read.debug, /reason=token_active/);
  assert.equal(endpoint.calls, 1);
  const write = await check(app, "/write", "tok-read");
  assert.equal(write.status, 403, write.debug);
  assert.match(write.debug, /reason=insufficient_scope/);
  assert.equal(endpoint.calls, 1, "the second rule was decided from the cached answer");
  const audience = await check(app, "/audience", "tok-read");
  assert.equal(audience.status, 403);
  assert.match(audience.debug, /reason=audience_not_allowed/);
  assert.equal((await check(app, "/read", "tok-read")).status, 200);
  assert.equal(endpoint.calls, 1);
});

Deno.test("oauth2_introspection: a cached answer never outlives exp", async () => {
  const clock = testClock();
  await using endpoint = startIntrospection();
  const exp = Math.floor(clock.now() / 1000) + 60;
  endpoint.issue("tok", { scope: "read", exp });
  await using app = testApp([apiRuleV1beta1("orders", [
    { path: "/read", accessStrategies: [introspection(endpoint, { cache: { ttl: "10m" } })] },
  ])], { now: clock.now });
  assert.equal((await check(app, "/read", "tok")).status, 200);
  clock.advance(30_000);
  assert.equal((await check(app, "/read", "tok")).status, 200);
  assert.equal(endpoint.calls, 1, "within exp and TTL: cached");
  clock.advance(31_000);
  const expired = await check(app, "/read", "tok");
  assert.equal(expired.status, 401, expired.debug);
  assert.match(expired.debug, /reason=token_expired/);
  assert.equal(endpoint.calls, 2, "the entry ended at exp: asked again");
});

Deno.test("oauth2_introspection: revocation (active: false) is seen within the TTL bound, then cached briefly", async () => {
  const clock = testClock();
  await using endpoint = startIntrospection();
  endpoint.issue("tok", { exp: Math.floor(clock.now() / 1000) + 3600 });
  await using app = testApp([apiRuleV1beta1("orders", [
    {
      path: "/read",
      accessStrategies: [introspection(endpoint, { cache: { ttl: "5s", negative_ttl: "10s" } })],
    },
  ])], { now: clock.now });
  assert.equal((await check(app, "/read", "tok")).status, 200);
  endpoint.revoke("tok");
  clock.advance(4_000);
  assert.equal(
    (await check(app, "/read", "tok")).status,
    200,
    "within the 5 s TTL the cached answer stands",
  );
  clock.advance(1_500);
  const revoked = await check(app, "/read", "tok");
  assert.equal(revoked.status, 401);
  assert.match(revoked.debug, /reason=token_inactive/);
  assert.equal(endpoint.calls, 2);
  clock.advance(5_000);
  assert.equal((await check(app, "/read", "tok")).status, 401);
  assert.equal(endpoint.calls, 2, "the inactive answer is cached for the negative TTL");
  clock.advance(6_000);
  await check(app, "/read", "tok");
  assert.equal(endpoint.calls, 3);
});

Deno.test("oauth2_introspection: config options and error cases", async (t) => {
  await using endpoint = startIntrospection();
  const exp = nowSeconds() + 3600;
  endpoint.issue("good", {
    scope: "orders.read",
    aud: ["shop", "admin"],
    iss: "https://idp",
    sub: "bob",
    exp,
  });
  endpoint.issue("refresh", { token_use: "refresh_token", exp });
  endpoint.issue("Kyma good", { exp });
  const cases: Array<{
    name: string;
    config: Record<string, unknown>;
    token?: string;
    headers?: Record<string, string>;
    status: number;
    reason: string;
    then?: (e: TestIntrospection) => void;
  }> = [
    {
      name: "client_secret_basic",
      config: {},
      token: "good",
      status: 200,
      reason: "token_active",
      then: (e) => {
        assert.equal(e.last?.body.get("token_type_hint"), "access_token");
        assert.match(e.last?.headers.get("authorization") ?? "", /^Basic /);
      },
    },
    {
      name: "client_secret_post",
      config: {
        client_auth: {
          method: "client_secret_post",
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
        },
      },
      token: "good",
      status: 200,
      reason: "token_active",
      then: (e) => assert.equal(e.last?.body.get("client_id"), CLIENT.id),
    },
    {
      name: "pre_authorization (client credentials bearer)",
      config: {
        client_auth: null,
        pre_authorization: {
          enabled: true,
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          token_url: endpoint.url.replace("/introspect", "/token"),
        },
      },
      token: "good",
      status: 200,
      reason: "token_active",
      then: (e) => assert.equal(e.last?.headers.get("authorization"), "Bearer cc-token"),
    },
    {
      name: "introspection_request_headers",
      config: {
        client_auth: null,
        introspection_request_headers: {
          authorization: `Basic ${btoa(`${CLIENT.id}:${encodeURIComponent(CLIENT.secret)}`)}`,
        },
      },
      token: "good",
      status: 200,
      reason: "token_active",
    },
    {
      name: "wrong client secret",
      config: { client_auth: { client_id: CLIENT.id, client_secret: "nope" } },
      token: "good",
      status: 503,
      reason: "introspection_failed",
    },
    { name: "unknown token", config: {}, token: "unknown", status: 401, reason: "token_inactive" },
    {
      name: "token_use other than access_token",
      config: {},
      token: "refresh",
      status: 403,
      reason: "token_not_access_token",
    },
    {
      name: "target_audience all-of met",
      config: { target_audience: ["shop", "admin"] },
      token: "good",
      status: 200,
      reason: "token_active",
    },
    {
      name: "target_audience all-of not met",
      config: { target_audience: ["shop", "billing"] },
      token: "good",
      status: 403,
      reason: "audience_not_allowed",
    },
    {
      name: "trusted_issuers met",
      config: { trusted_issuers: ["https://idp"] },
      token: "good",
      status: 200,
      reason: "token_active",
    },
    {
      name: "trusted_issuers not met",
      config: { trusted_issuers: ["https://other"] },
      token: "good",
      status: 403,
      reason: "issuer_not_trusted",
    },
    {
      name: "scope_strategy exact",
      config: { required_scope: ["orders"] },
      token: "good",
      status: 403,
      reason: "insufficient_scope",
    },
    {
      name: "scope_strategy hierarchic",
      config: { required_scope: ["orders.read.all"], scope_strategy: "hierarchic" },
      token: "good",
      status: 200,
      reason: "token_active",
    },
    {
      name: "scope_strategy wildcard",
      config: { required_scope: ["orders.read"], scope_strategy: "wildcard" },
      token: "good",
      status: 200,
      reason: "token_active",
    },
    {
      name: "scope_strategy none sends the scopes",
      config: { required_scope: ["x"], scope_strategy: "none" },
      token: "good",
      status: 200,
      reason: "token_active",
      then: (e) => assert.equal(e.last?.body.get("scope"), "x"),
    },
    {
      name: "preserve_host",
      config: { preserve_host: true },
      token: "good",
      status: 200,
      reason: "token_active",
      then: (e) => assert.equal(e.last?.headers.get("x-forwarded-host"), "orders.local.kyma.dev"),
    },
    {
      name: "no token: not responsible",
      config: {},
      status: 401,
      reason: "no_strategy_responsible",
    },
    {
      name: "prefix not matched: not responsible",
      config: { prefix: "Kyma " },
      token: "good",
      status: 401,
      reason: "no_strategy_responsible",
    },
    {
      name: "token_from header",
      config: { token_from: { header: "X-Token" } },
      headers: { "x-token": "good" },
      status: 200,
      reason: "token_active",
    },
    {
      name: "token_from query_parameter",
      config: { token_from: { query_parameter: "t" } },
      status: 200,
      reason: "token_active",
    },
    {
      name: "token_from cookie",
      config: { token_from: { cookie: "tk" } },
      headers: { cookie: "a=b; tk=good" },
      status: 200,
      reason: "token_active",
    },
  ];
  for (const [i, tc] of cases.entries()) {
    await t.step(tc.name, async () => {
      await using app = testApp([apiRuleV1beta1("orders", [
        {
          path: "/p",
          accessStrategies: [introspection(endpoint, { ...tc.config, cache: { enabled: false } })],
        },
      ])]);
      const path = tc.name.includes("query") ? "/p?t=good" : "/p";
      const result = await check(app, path, tc.token, tc.headers);
      assert.equal(result.status, tc.status, `${i}: ${result.debug}`);
      assert.match(result.debug, new RegExp(`reason=${tc.reason}`));
      tc.then?.(endpoint);
    });
  }
});

Deno.test("oauth2_introspection: endpoint failures are bounded, counted by a breaker, and fail closed unless told", async (t) => {
  await t.step("502, non-JSON and oversized answers are introspection_failed (503)", async () => {
    await using endpoint = startIntrospection();
    await using app = testApp([
      apiRuleV1beta1("orders", [{ path: "/p", accessStrategies: [introspection(endpoint)] }]),
    ]);
    for (const mode of ["error", "html", "huge"] as const) {
      endpoint.mode = mode;
      const result = await check(app, "/p", `t-${mode}`);
      assert.equal(result.status, 503, mode);
      assert.match(result.debug, /reason=introspection_failed/);
    }
  });
  await t.step("429 is passed on", async () => {
    await using endpoint = startIntrospection();
    endpoint.mode = "rate_limited";
    await using app = testApp([
      apiRuleV1beta1("orders", [{ path: "/p", accessStrategies: [introspection(endpoint)] }]),
    ]);
    const result = await check(app, "/p", "t");
    assert.equal(result.status, 429);
    assert.match(result.debug, /reason=introspection_rate_limited/);
  });
  await t.step("a hanging endpoint is cut at the timeout", async () => {
    await using endpoint = startIntrospection();
    endpoint.mode = "hang";
    await using app = testApp([
      apiRuleV1beta1("orders", [{
        path: "/p",
        accessStrategies: [introspection(endpoint, { timeout: "100ms" })],
      }]),
    ]);
    const result = await check(app, "/p", "t");
    assert.equal(result.status, 503);
    assert.match(result.debug, /reason=introspection_failed/);
  });
  await t.step("after 5 failures the circuit opens and the endpoint is not called", async () => {
    await using endpoint = startIntrospection();
    endpoint.mode = "error";
    await using app = testApp([
      apiRuleV1beta1("orders", [{ path: "/p", accessStrategies: [introspection(endpoint)] }]),
    ]);
    for (let i = 0; i < 5; i++) await check(app, "/p", `t${i}`);
    assert.equal(endpoint.calls, 5);
    const open = await check(app, "/p", "t6");
    assert.equal(open.status, 503);
    assert.match(open.debug, /reason=circuit_open/);
    assert.equal(endpoint.calls, 5);
  });
  await t.step("on_error: fail_open lets the request through", async () => {
    await using endpoint = startIntrospection();
    endpoint.mode = "error";
    await using app = testApp([
      apiRuleV1beta1("orders", [{
        path: "/p",
        accessStrategies: [introspection(endpoint, { on_error: "fail_open" })],
      }]),
    ]);
    const result = await check(app, "/p", "t");
    assert.equal(result.status, 200);
    assert.match(result.debug, /reason=open_on_error/);
  });
});

Deno.test("createIntrospector() asks once for concurrent checks of one token and bounds its size", async () => {
  await using endpoint = startIntrospection();
  for (let i = 0; i < 5; i++) endpoint.issue(`t${i}`, { exp: nowSeconds() + 600 });
  const compiled = compileStrategy("oauth2_introspection", {
    introspection_url: endpoint.url,
    ...BASIC,
  });
  assert.ok(compiled.ok && compiled.value.kind === "oauth2_introspection");
  const strategy = compiled.value;
  const introspector = createIntrospector({ maxEntries: 3 });
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => introspector.introspect("t0", strategy, { host: "h" })),
  );
  assert.equal(endpoint.calls, 1);
  assert.ok(answers.every((a) => a.kind === "result" && a.result.active === true));
  for (let i = 1; i < 5; i++) await introspector.introspect(`t${i}`, strategy, { host: "h" });
  assert.equal(introspector.size, 3, "the oldest entries went first");
  assert.equal(introspector.cached("t0", strategy), undefined);
  assert.equal(introspector.cached("t4", strategy)?.kind, "result");
});

Deno.test("oauth2_introspection: the decision deadline cuts a slow endpoint with 503 deadline_exceeded", async () => {
  await using endpoint = startIntrospection();
  endpoint.mode = "hang";
  await using app = testApp([apiRuleV1beta1("orders", [
    { path: "/p", accessStrategies: [introspection(endpoint, { timeout: "5s" })] },
  ])], { authz: { deadlineMs: 100 } });
  const result = await check(app, "/p", "t");
  assert.equal(result.status, 503);
  assert.match(result.debug, /step=deadline; reason=deadline_exceeded/);
});

Deno.test("oauth2_introspection: the session is Oathkeeper's (sub; ext plus username, client_id, scope, aud)", async () => {
  await using endpoint = startIntrospection();
  endpoint.issue("tok", {
    sub: "erin",
    username: "erin@example.com",
    client_id: "shop-ui",
    scope: "a b",
    scp: ["write"],
    aud: "shop",
    email: "top-level claims are not extra",
    ext: { tenant: "t1" },
    exp: nowSeconds() + 600,
  });
  const template =
    "{{ .Subject }}|{{ .Extra.username }}|{{ .Extra.client_id }}|{{ .Extra.scope }}|{{ .Extra.aud }}|{{ .Extra.tenant }}|{{ .Extra.email }}";
  await using app = testApp([apiRuleV1beta1("orders", [
    {
      path: "/p",
      accessStrategies: [introspection(endpoint)],
      mutators: [{ handler: "header", config: { headers: { "X-Session": template } } }],
    },
    { path: "/write", accessStrategies: [introspection(endpoint, { required_scope: ["write"] })] },
  ])]);
  const result = await check(app, "/p", "tok");
  assert.equal(result.status, 200, result.debug);
  assert.equal(result.headers.get("x-session"), "erin|erin@example.com|shop-ui|a b|[shop]|t1|");
  const write = await check(app, "/write", "tok");
  assert.equal(write.status, 403, "RFC 7662 grants scopes in `scope` only; `scp` grants nothing");
});
