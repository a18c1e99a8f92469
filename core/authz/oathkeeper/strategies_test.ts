import assert from "node:assert/strict";
import { compileStrategy, durationMs } from "./strategies.ts";
import { compileMutator } from "./mutators.ts";

Deno.test("compileStrategy() refuses bad handler configs at load", async (t) => {
  const cases: Array<{ name: string; handler: string; config?: unknown; error: RegExp }> = [
    { name: "unknown handler", handler: "oauth2_client_credentials", error: /not served by apigw/ },
    { name: "config not an object", handler: "jwt", config: [1], error: /not an object/ },
    {
      name: "jwt without jwks_urls",
      handler: "jwt",
      config: { trusted_issuers: ["https://a"] },
      error: /jwks_urls needs at least one URL/,
    },
    {
      name: "jwt with a relative jwks URL",
      handler: "jwt",
      config: { jwks_urls: ["keys.json"] },
      error: /not an http\(s\) URL/,
    },
    {
      name: "jwt with HS256",
      handler: "jwt",
      config: { jwks_urls: ["https://a/k"], allowed_algorithms: ["HS256"] },
      error: /unsupported "HS256"/,
    },
    {
      name: "jwt with an unknown scope strategy",
      handler: "jwt",
      config: { jwks_urls: ["https://a/k"], scope_strategy: "regex" },
      error: /scope_strategy must be one of/,
    },
    {
      name: "introspection without URL",
      handler: "oauth2_introspection",
      config: {},
      error: /introspection_url is required/,
    },
    {
      name: "introspection with a bad TTL",
      handler: "oauth2_introspection",
      config: { introspection_url: "https://a", cache: { ttl: "soon" } },
      error: /cache.ttl must be a duration/,
    },
    {
      name: "introspection with a bad client auth method",
      handler: "oauth2_introspection",
      config: {
        introspection_url: "https://a",
        client_auth: { client_id: "x", method: "private_key_jwt" },
      },
      error: /client_auth.method/,
    },
    {
      name: "introspection with two token_from keys",
      handler: "oauth2_introspection",
      config: { introspection_url: "https://a", token_from: { header: "a", cookie: "b" } },
      error: /token_from needs exactly one/,
    },
    {
      name: "introspection pre_authorization without token_url",
      handler: "oauth2_introspection",
      config: {
        introspection_url: "https://a",
        pre_authorization: { enabled: true, client_id: "x" },
      },
      error: /pre_authorization needs client_id and token_url/,
    },
    {
      name: "cookie_session without URL",
      handler: "cookie_session",
      error: /check_session_url is required/,
    },
    {
      name: "required_scope with an empty entry",
      handler: "oauth2_introspection",
      config: { introspection_url: "https://a", required_scope: [""] },
      error: /required_scope must be a list of non-empty strings/,
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const compiled = compileStrategy(tc.handler, tc.config);
      assert.equal(compiled.ok, false);
      if (!compiled.ok) assert.match(compiled.error, tc.error);
    });
  }
});

Deno.test("compileStrategy() merges the rule config over the handler defaults", () => {
  const compiled = compileStrategy("cookie_session", undefined, {
    authenticators: {
      cookie_session: { config: { check_session_url: "http://kratos/whoami", only: ["s"] } },
    },
  });
  assert.ok(compiled.ok);
  assert.equal(compiled.value.kind, "cookie_session");
  if (compiled.value.kind === "cookie_session") {
    assert.equal(compiled.value.checkSessionUrl, "http://kratos/whoami");
    assert.deepEqual(compiled.value.only, ["s"]);
  }
  const rule = compileStrategy("oauth2_introspection", { required_scope: ["a"] }, {
    authenticators: {
      oauth2_introspection: {
        config: { introspection_url: "https://idp/i", required_scope: ["b"] },
      },
    },
  });
  assert.ok(rule.ok && rule.value.kind === "oauth2_introspection");
  if (rule.ok && rule.value.kind === "oauth2_introspection") {
    assert.deepEqual(rule.value.requiredScope, ["a"]);
    assert.equal(rule.value.cache.ttlMs, 30_000);
    assert.equal(rule.value.timeoutMs, 500);
    assert.equal(rule.value.scopeStrategy, "exact");
  }
});

Deno.test("durationMs() reads Go durations and milliseconds", () => {
  assert.equal(durationMs("500ms"), 500);
  assert.equal(durationMs("1m30s"), 90_000);
  assert.equal(durationMs(250), 250);
  assert.equal(durationMs("5 minutes"), undefined);
  assert.equal(durationMs("-1s"), undefined);
});

Deno.test("compileMutator() refuses bad mutator configs at load", async (t) => {
  const cases: Array<{ name: string; handler: string; config?: unknown; error: RegExp }> = [
    { name: "unknown mutator", handler: "hydrator", config: {}, error: /not served by apigw/ },
    {
      name: "header without headers",
      handler: "header",
      config: {},
      error: /headers cannot be empty/,
    },
    {
      name: "header with a bad name",
      handler: "header",
      config: { headers: { "X User": "a" } },
      error: /not a valid header name/,
    },
    {
      name: "header that would reframe the request",
      handler: "header",
      config: { headers: { Host: "evil" } },
      error: /does not set/,
    },
    {
      name: "header with an unsupported template",
      handler: "header",
      config: { headers: { "X-A": "{{ range .Extra }}x{{ end }}" } },
      error: /not supported/,
    },
    {
      name: "cookie with a bad name",
      handler: "cookie",
      config: { cookies: { "a;b": "x" } },
      error: /not a valid cookie name/,
    },
    {
      name: "id_token without issuer_url",
      handler: "id_token",
      config: {},
      error: /issuer_url is required/,
    },
    {
      name: "id_token with a tiny ttl",
      handler: "id_token",
      config: { issuer_url: "https://a", ttl: "10ms" },
      error: /ttl must be/,
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const compiled = compileMutator(tc.handler, tc.config);
      assert.equal(compiled.ok, false);
      if (!compiled.ok) assert.match(compiled.error, tc.error);
    });
  }
});
