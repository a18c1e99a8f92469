import assert from "node:assert/strict";
import { apiRule } from "../core/authz/_testing.ts";
import { startIdp, type TestIdp } from "../tests/authz/idp.ts";
import { DEBUG_HEADER } from "./responses.ts";
import { testApp } from "./_testing.ts";

function rules(idp: TestIdp) {
  const jwt = (extra: Record<string, unknown> = {}) => ({
    authentications: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }],
    ...extra,
  });
  return [apiRule("orders", [
    { path: "/public/{**}", methods: ["GET", "HEAD", "OPTIONS", "PATCH", "CONNECT"], noAuth: true },
    { path: "/admin", methods: ["GET", "POST"], jwt: jwt() },
    {
      path: "/scoped",
      methods: ["GET"],
      jwt: jwt({ authorizations: [{ requiredScopes: ["read"], audiences: ["api"] }] }),
    },
    { path: "/ext", methods: ["GET"], extAuth: { authorizers: ["apigw"], restrictions: jwt() } },
    { path: "/ext-open", methods: ["GET"], extAuth: { authorizers: ["apigw"] } },
    { path: "/other", methods: ["GET"], extAuth: { authorizers: ["other"] } },
  ])];
}

async function withApp(
  fn: (ctx: { app: ReturnType<typeof testApp>; idp: TestIdp }) => Promise<void>,
  options: Parameters<typeof testApp>[1] = {},
) {
  await using idp = await startIdp();
  await using app = testApp(rules(idp), options);
  await fn({ app, idp });
}

async function status(response: Response): Promise<number> {
  await response.body?.cancel();
  return response.status;
}

Deno.test("createAuthzHandler() accepts every method on every path under the prefix (DP-AUTHZ-1)", async () => {
  await withApp(async ({ app }) => {
    for (const method of ["GET", "HEAD", "OPTIONS", "PATCH"]) {
      const response = await app.request("/ext-authz/public/a?x=1", { method });
      assert.equal(await status(response), 200, method);
    }
    const unknown = await app.request("/ext-authz/public/a", { method: "PURGE" });
    assert.equal(unknown.headers.get(DEBUG_HEADER), "deny; step=match; reason=no_rule_matched");
    assert.equal(await status(unknown), 404, "unknown methods reach the pipeline, never a 405");
    const outside = await app.request("/elsewhere/public/a");
    assert.equal(await status(outside), 400);
    const bare = await app.request("/ext-authz?x=1");
    assert.equal(bare.headers.get(DEBUG_HEADER), "deny; step=match; reason=no_rule_matched");
    assert.equal(await status(bare), 404);
  }, { authz: { pathPrefix: "/ext-authz" } });
});

Deno.test("createAuthzHandler() refuses a check request with a body (DP-AUTHZ-2, §8 #28)", async () => {
  await withApp(async ({ app }) => {
    const response = await app.request("/public/a", {
      method: "PATCH",
      body: "x".repeat(100),
      headers: { "content-length": "100" },
    });
    assert.equal(response.status, 413);
    assert.equal((await response.json()).reason, "body_not_expected");
  });
});

Deno.test("createAuthzHandler() decides from method, path, host and tokens only (DP-AUTHZ-3, §8 #13, #24)", async () => {
  await withApp(async ({ app }) => {
    const spoofed = {
      "x-forwarded-uri": "/public/a",
      "x-forwarded-method": "GET",
      "x-forwarded-host": "orders.local.kyma.dev",
      "x-forwarded-proto": "https",
      "x-forwarded-for": "10.0.0.1",
      forwarded: "for=10.0.0.1;host=orders.local.kyma.dev",
      "x-original-url": "/public/a",
      "x-rewrite-url": "/public/a",
      "x-http-method-override": "GET",
    };
    const response = await app.request("/admin", { method: "POST", headers: spoofed });
    assert.equal(response.status, 401);
    assert.equal((await response.json()).reason, "missing_token");
  });
});

Deno.test("createAuthzHandler() fails comma-joined Authorization headers (DP-AUTHZ-4)", async () => {
  await withApp(async ({ app, idp }) => {
    const token = await idp.sign();
    const response = await app.request("/admin", {
      headers: { authorization: `Bearer ${token}, Bearer ${token}` },
    });
    assert.equal(response.status, 401);
    assert.equal((await response.json()).reason, "ambiguous_token");
  });
});

Deno.test("createAuthzHandler() allows with exactly 200 and nothing else (DP-AUTHZ-5, §8 #12)", async () => {
  await withApp(async ({ app }) => {
    const response = await app.request("/public/a", {
      headers: { "x-user-id": "admin", "x-jwt-payload": "e30", cookie: "s=1" },
    });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "");
    assert.deepEqual(
      [...response.headers.keys()].filter((h) => h !== DEBUG_HEADER),
      [],
      "an allow must not echo request headers (unlike Oathkeeper's noop mutator)",
    );
  });
});

Deno.test("createAuthzHandler() never answers a deny with 2xx or relies on 5xx (DP-AUTHZ-5, DP-AUTHZ-6)", async () => {
  await withApp(async ({ app }) => {
    for (const path of ["/admin", "/other", "/nowhere", "/public/%00"]) {
      const code = await status(await app.request(path));
      assert.ok(code >= 400 && code < 500, `${path} answered ${code}`);
    }
  });
});

Deno.test("createAuthzHandler() answers 503 when the decision passes its deadline (DP-AUTHZ-7)", async () => {
  await withApp(async ({ app, idp }) => {
    idp.mode = "hang";
    const token = await idp.sign();
    const started = performance.now();
    const response = await app.request("/admin", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 503);
    assert.equal((await response.json()).reason, "deadline_exceeded");
    assert.ok(performance.now() - started < 2_000);
  }, { authz: { deadlineMs: 200 } });
});

Deno.test("createAuthzHandler() verifies every token itself (DP-AUTHZ-10)", async () => {
  await withApp(async ({ app, idp }) => {
    const token = await idp.sign();
    const [header, payload] = token.split(".");
    const forged = `${header}.${payload}.${"A".repeat(342)}`;
    const response = await app.request("/admin", {
      headers: {
        authorization: `Bearer ${forged}`,
        "x-envoy-auth-partial-body": "false",
        "x-istio-attributes": "verified",
        "x-jwt-payload": payload!,
      },
    });
    assert.equal(response.status, 401);
    assert.equal((await response.json()).reason, "signature_invalid");
  });
});

Deno.test("createAuthzHandler() answers 401 vs 403 as RFC 6750 says (DP-JWT-2)", async (t) => {
  await withApp(async ({ app, idp }) => {
    const cases = [
      {
        name: "missing token → 401 without error",
        path: "/admin",
        claims: undefined,
        status: 401,
        reason: "missing_token",
        challenge: 'Bearer realm="apigw"',
      },
      {
        name: "invalid token → 401 invalid_token",
        path: "/admin",
        claims: { exp: 1 },
        status: 401,
        reason: "token_expired",
        challenge: 'Bearer realm="apigw", error="invalid_token"',
      },
      {
        name: "valid token → 200",
        path: "/admin",
        claims: {},
        status: 200,
        reason: "jwt_valid",
        challenge: null,
      },
      {
        name: "missing scope → 403 insufficient_scope",
        path: "/scoped",
        claims: { aud: "api", scope: "write" },
        status: 403,
        reason: "insufficient_scope",
        challenge: 'Bearer realm="apigw", error="insufficient_scope", scope="read"',
      },
      {
        name: "missing audience → 403",
        path: "/scoped",
        claims: { aud: "other", scope: "read" },
        status: 403,
        reason: "audience_not_allowed",
        challenge: 'Bearer realm="apigw", error="insufficient_scope", scope="read"',
      },
      {
        name: "scope and audience → 200",
        path: "/scoped",
        claims: { aud: ["api", "x"], scope: "read write" },
        status: 200,
        reason: "jwt_valid",
        challenge: null,
      },
    ];
    for (const tc of cases) {
      await t.step(tc.name, async () => {
        const headers: Record<string, string> = tc.claims === undefined
          ? {}
          : { authorization: `Bearer ${await idp.sign(tc.claims)}` };
        const response = await app.request(tc.path, { headers });
        assert.equal(response.status, tc.status);
        assert.equal(response.headers.get("www-authenticate"), tc.challenge);
        assert.match(response.headers.get(DEBUG_HEADER) ?? "", new RegExp(`reason=${tc.reason}`));
        if (tc.status === 200) return assert.equal(await response.text(), "");
        assert.equal(response.headers.get("content-type"), "application/problem+json");
        const body = await response.json();
        assert.equal(body.reason, tc.reason);
        assert.ok(!JSON.stringify(body).includes(headers.authorization?.slice(7, 40) ?? "\0"));
      });
    }
  });
});

Deno.test("createAuthzHandler() answers 403 for a missing token in Istio compatibility mode (DP-JWT-2)", async () => {
  await withApp(async ({ app }) => {
    const response = await app.request("/admin");
    assert.equal(response.status, 403);
    assert.equal((await response.json()).reason, "missing_token");
  }, { authz: { pipeline: { realm: "apigw", missingTokenStatus: 403 } } });
});

Deno.test("createAuthzHandler() rejects two tokens (DP-JWT-1, §8 #10, #22)", async () => {
  await withApp(async ({ app, idp }) => {
    const token = await idp.sign();
    const response = await app.request(`/admin?access_token=${token}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.status, 401);
    assert.equal((await response.json()).reason, "ambiguous_token");
  });
});

Deno.test("createAuthzHandler() serves extAuth rules that name its provider", async (t) => {
  await withApp(async ({ app, idp }) => {
    const token = await idp.sign();
    const cases = [
      { name: "restrictions enforced: no token", path: "/ext", auth: false, status: 401 },
      { name: "restrictions enforced: token", path: "/ext", auth: true, status: 200 },
      { name: "no restrictions: allowed", path: "/ext-open", auth: false, status: 200 },
      { name: "another provider's rule is denied", path: "/other", auth: true, status: 403 },
    ];
    for (const tc of cases) {
      await t.step(tc.name, async () => {
        const headers: Record<string, string> = tc.auth ? { authorization: `Bearer ${token}` } : {};
        assert.equal(await status(await app.request(tc.path, { headers })), tc.status);
      });
    }
  });
});

Deno.test("createAuthzHandler() caps header sizes (§8 #11)", async () => {
  await withApp(async ({ app }) => {
    const response = await app.request("/public/a", {
      headers: { authorization: `Bearer ${"a".repeat(17 * 1024)}` },
    });
    assert.equal(response.status, 431);
    assert.equal((await response.json()).reason, "header_too_large");
  });
});

Deno.test("createAuthzHandler() logs every deny with a stable reason and no token", async () => {
  await withApp(async ({ app, idp }) => {
    const token = await idp.sign({ exp: 1 });
    await status(
      await app.request("/admin", {
        headers: { authorization: `Bearer ${token}`, "x-request-id": "r1" },
      }),
    );
    await status(await app.request("/public/a"));
    const denied = app.logs.find((l) => l.msg === "Denied request");
    assert.equal(denied?.reason, "token_expired");
    assert.equal(denied?.rule, "default/orders#1");
    assert.equal(denied?.requestId, "r1");
    assert.ok(app.logs.some((l) => l.msg === "Allowed request" && l.reason === "no_auth"));
    assert.ok(!JSON.stringify(app.logs).includes(token.split(".")[1]!));
    const text = app.metrics.render();
    assert.match(text, /apigw_authz_decisions_total\{result="deny",reason="token_expired"\} 1/);
    assert.match(text, /apigw_authz_decision_seconds_count 2/);
  });
});

Deno.test("createAuthzHandler() keeps deciding on the last good keys during an IdP outage, until the bound (DP-JWKS-1)", async () => {
  let now = Date.now();
  const clock = () => now;
  await withApp(async ({ app, idp }) => {
    const token = await idp.sign({ exp: Math.floor(now / 1000) + 48 * 3600 });
    const headers = { authorization: `Bearer ${token}` };
    assert.equal(await status(await app.request("/admin", { headers })), 200);
    idp.mode = "error";
    now += 2 * 3600_000;
    assert.equal(
      await status(await app.request("/admin", { headers })),
      200,
      "stale keys still serve",
    );
    now += 23 * 3600_000;
    const response = await app.request("/admin", { headers });
    assert.equal(response.status, 401);
    assert.equal(
      response.headers.get("www-authenticate"),
      'Bearer realm="apigw", error="invalid_token"',
    );
    assert.equal((await response.json()).reason, "jwks_unavailable");
    const log = app.logs.find((l) => l.reason === "jwks_unavailable");
    assert.match(String(log?.detail), /older than the stale bound/);
  }, { now: clock, jwks: { now: clock, minBackoffMs: 1, maxBackoffMs: 1 } });
});

Deno.test("createAuthzHandler() re-runs rule checks on cached tokens (§8 #31)", async () => {
  await withApp(async ({ app, idp }) => {
    const headers = { authorization: `Bearer ${await idp.sign({ scope: "write", aud: "api" })}` };
    assert.equal(await status(await app.request("/admin", { headers })), 200);
    assert.equal(await status(await app.request("/admin", { headers })), 200);
    const scoped = await app.request("/scoped", { headers });
    assert.equal(scoped.status, 403, "a token cached for one rule is not accepted by another");
    assert.equal((await scoped.json()).reason, "insufficient_scope");
    assert.match(app.metrics.render(), /apigw_jwt_cache_requests_total\{result="hit"\} 2/);
  });
});
