import assert from "node:assert/strict";
import { isV1beta1Source, migrateAPIRule, type MigrateOptions } from "./rewrite.ts";

const JWKS = "https://idp.example.com/certs";
const ISSUER = "https://idp.example.com";
const OPTIONS: MigrateOptions = {
  issuers: new Map(),
  providerName: "apigw-authz",
  pureIstio: false,
};

function apiRule(rules: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name: "orders", namespace: "shop", labels: { team: "a" } },
    spec: {
      host: "orders.example.com",
      gateway: "kyma-gateway.kyma-system.svc.cluster.local",
      service: { name: "orders", port: 8080 },
      rules,
      ...extra,
    },
  };
}

function rule(accessStrategies: unknown[], more: Record<string, unknown> = {}) {
  return { path: "/orders", methods: ["GET"], accessStrategies, ...more };
}

const REWRITES: {
  name: string;
  rules: unknown[];
  options?: Partial<MigrateOptions>;
  expect: Record<string, unknown>;
  step: RegExp;
}[] = [
  {
    name: "allow → noAuth",
    rules: [rule([{ handler: "allow" }])],
    expect: { noAuth: true },
    step: /allow → noAuth/,
  },
  {
    name: "noop → noAuth",
    rules: [rule([{ handler: "noop" }])],
    expect: { noAuth: true },
    step: /noop → noAuth/,
  },
  {
    name: "no_auth before jwt → noAuth (the jwt never decided)",
    rules: [rule([{ handler: "no_auth" }, { handler: "jwt", config: { jwks_urls: [JWKS] } }])],
    expect: { noAuth: true },
    step: /jwt after it never decided/,
  },
  {
    name: "Ory jwt with trusted_issuers, scopes and audiences",
    rules: [rule([{
      handler: "jwt",
      config: {
        jwks_urls: [JWKS],
        trusted_issuers: [ISSUER],
        required_scope: ["read"],
        target_audience: ["orders"],
      },
    }])],
    expect: {
      jwt: {
        authentications: [{
          issuer: ISSUER,
          jwksUri: JWKS,
          fromHeaders: [{ name: "Authorization", prefix: "Bearer " }],
        }],
        authorizations: [{ requiredScopes: ["read"], audiences: ["orders"] }],
      },
    },
    step: /required_scope read → authorizations.requiredScopes/,
  },
  {
    name: "Ory jwt without issuer, given by --issuer",
    rules: [rule([{ handler: "jwt", config: { jwks_urls: [JWKS] } }])],
    options: { issuers: new Map([[JWKS, ISSUER]]) },
    expect: {
      jwt: {
        authentications: [{
          issuer: ISSUER,
          jwksUri: JWKS,
          fromHeaders: [{ name: "Authorization", prefix: "Bearer " }],
        }],
      },
    },
    step: /from --issuer/,
  },
  {
    name: "Ory jwt token_from header",
    rules: [rule([{
      handler: "jwt",
      config: { jwks_urls: [JWKS], trusted_issuers: [ISSUER], token_from: { header: "X-Token" } },
    }])],
    expect: {
      jwt: {
        authentications: [{ issuer: ISSUER, jwksUri: JWKS, fromHeaders: [{ name: "x-token" }] }],
      },
    },
    step: /token_from.header x-token → fromHeaders/,
  },
  {
    name: "Ory jwt token_from query parameter",
    rules: [rule([{
      handler: "jwt",
      config: {
        jwks_urls: [JWKS],
        trusted_issuers: [ISSUER],
        token_from: { query_parameter: "tok" },
      },
    }])],
    expect: {
      jwt: { authentications: [{ issuer: ISSUER, jwksUri: JWKS, fromParams: ["tok"] }] },
    },
    step: /token_from.query_parameter tok → fromParams tok/,
  },
  {
    name: "jwt in the Istio dialect is kept",
    rules: [rule([{
      handler: "jwt",
      config: { authentications: [{ issuer: ISSUER, jwksUri: JWKS }] },
    }])],
    expect: { jwt: { authentications: [{ issuer: ISSUER, jwksUri: JWKS }] } },
    step: /Istio dialect/,
  },
  {
    name: "oauth2_introspection → extAuth",
    rules: [rule([{
      handler: "oauth2_introspection",
      config: { introspection_url: "https://idp.example.com/introspect" },
    }])],
    expect: { extAuth: { authorizers: ["apigw-authz"] } },
    step: /oauth2_introspection → extAuth with authorizer "apigw-authz"/,
  },
  {
    name: "cookie_session → extAuth",
    rules: [rule([{ handler: "cookie_session" }])],
    expect: { extAuth: { authorizers: ["apigw-authz"] } },
    step: /cookie_session → extAuth/,
  },
  {
    name: "static header and cookie mutators → request",
    rules: [rule([{ handler: "allow" }], {
      mutators: [
        { handler: "header", config: { headers: { "X-Env": "prod" } } },
        { handler: "cookie", config: { cookies: { tier: "gold" } } },
        { handler: "noop" },
      ],
    })],
    expect: { noAuth: true, request: { headers: { "X-Env": "prod" }, cookies: { tier: "gold" } } },
    step: /header mutator → request.headers X-Env/,
  },
];

Deno.test("migrateAPIRule() applies each rewrite and names it", async (t) => {
  for (const tc of REWRITES) {
    await t.step(tc.name, () => {
      const result = migrateAPIRule(apiRule(tc.rules), { ...OPTIONS, ...tc.options });
      assert.ok(result.ok, result.ok ? "" : result.error.reasons.join("\n"));
      const spec = result.value.v2.spec as { rules: Record<string, unknown>[] };
      const { path: _p, methods: _m, ...auth } = spec.rules[0]!;
      assert.deepEqual(auth, tc.expect);
      assert.ok(
        result.value.steps.some((s) => tc.step.test(s.detail)),
        result.value.steps.map((s) => s.detail).join("\n"),
      );
    });
  }
});

Deno.test("migrateAPIRule() keeps metadata, service, timeout, corsPolicy; translates the gateway", () => {
  const source = apiRule([rule([{ handler: "allow" }], { timeout: 30 })], {
    timeout: 60,
    corsPolicy: { allowOrigins: [{ exact: "https://a.example.com" }], maxAge: "5m" },
  });
  (source.metadata as Record<string, unknown>).annotations = {
    "gateway.kyma-project.io/original-version": "v1beta1",
    "owner": "team-a",
  };
  const result = migrateAPIRule(source, OPTIONS);
  assert.ok(result.ok);
  assert.deepEqual(result.value.v2, {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: {
      name: "orders",
      namespace: "shop",
      labels: { team: "a" },
      annotations: { owner: "team-a" },
    },
    spec: {
      hosts: ["orders.example.com"],
      service: { name: "orders", port: 8080 },
      gateway: "kyma-system/kyma-gateway",
      corsPolicy: { allowOrigins: [{ exact: "https://a.example.com" }], maxAge: 300 },
      rules: [{ path: "/orders", methods: ["GET"], noAuth: true, timeout: 30 }],
      timeout: 60,
    },
  });
  assert.ok(result.value.steps.some((s) => s.rewrite === "gateway"));
  assert.ok(result.value.steps.some((s) => /original-version/.test(s.detail)));
});

const REFUSALS: {
  name: string;
  rules: unknown[];
  options?: Partial<MigrateOptions>;
  why: RegExp;
}[] = [
  {
    name: "jwt without issuer and without --issuer",
    rules: [rule([{ handler: "jwt", config: { jwks_urls: [JWKS] } }])],
    why: /pass --issuer https:\/\/idp.example.com\/certs=ISSUER/,
  },
  {
    name: "--issuer naming an untrusted issuer",
    rules: [rule([{ handler: "jwt", config: { jwks_urls: [JWKS], trusted_issuers: [ISSUER] } }])],
    options: { issuers: new Map([[JWKS, "https://other.example.com"]]) },
    why: /not one of trusted_issuers/,
  },
  {
    name: "several JWKS URLs and issuers without pairing",
    rules: [rule([{
      handler: "jwt",
      config: { jwks_urls: [JWKS, `${JWKS}2`], trusted_issuers: [ISSUER, `${ISSUER}/2`] },
    }])],
    why: /which of trusted_issuers .* signs with the keys/,
  },
  {
    name: "hierarchic scope strategy",
    rules: [rule([{
      handler: "jwt",
      config: {
        jwks_urls: [JWKS],
        trusted_issuers: [ISSUER],
        required_scope: ["a"],
        scope_strategy: "hierarchic",
      },
    }])],
    why: /v2 requiredScopes match exactly/,
  },
  {
    name: "token in a cookie",
    rules: [rule([{
      handler: "jwt",
      config: { jwks_urls: [JWKS], trusted_issuers: [ISSUER], token_from: { cookie: "t" } },
    }])],
    why: /cookie "t" has no v2 token location/,
  },
  {
    name: "oauth2_introspection with --pure-istio",
    rules: [
      rule([{ handler: "oauth2_introspection", config: { introspection_url: "https://x/i" } }]),
    ],
    options: { pureIstio: true },
    why: /with --pure-istio there is none/,
  },
  {
    name: "a chain of strategies",
    rules: [rule([{ handler: "jwt", config: { jwks_urls: [JWKS] } }, { handler: "noop" }])],
    why: /are tried in turn/,
  },
  { name: "anonymous", rules: [rule([{ handler: "anonymous" }])], why: /anonymous lets requests/ },
  {
    name: "unauthorized",
    rules: [rule([{ handler: "unauthorized" }])],
    why: /denies every request/,
  },
  {
    name: "templated header mutator",
    rules: [rule([{ handler: "allow" }], {
      mutators: [{ handler: "header", config: { headers: { "X-User": "{{ print .Subject }}" } } }],
    })],
    why: /is a template of the authenticated session/,
  },
  {
    name: "id_token mutator",
    rules: [rule([{ handler: "allow" }], { mutators: [{ handler: "id_token" }] })],
    why: /mutator "id_token" has no v2 form/,
  },
  {
    name: "regex path with no template",
    rules: [rule([{ handler: "allow" }], { path: "/orders/(a|b)" })],
    why: /no v2 template with the same matches/,
  },
  {
    name: "rules v2 forbids (same path and method twice)",
    rules: [rule([{ handler: "allow" }]), rule([{ handler: "noop" }])],
    why: /the v2 APIRule would be invalid/,
  },
];

Deno.test("migrateAPIRule() refuses what has no faithful v2 form, with the reason", async (t) => {
  for (const tc of REFUSALS) {
    await t.step(tc.name, () => {
      const result = migrateAPIRule(apiRule(tc.rules), { ...OPTIONS, ...tc.options });
      assert.ok(!result.ok, "migrated");
      assert.equal(result.error.name, "orders");
      assert.ok(
        result.error.reasons.some((r) => tc.why.test(r)),
        result.error.reasons.join("\n"),
      );
    });
  }
});

Deno.test("migrateAPIRule() reads a stored object whose original version is v1beta1", () => {
  const spec = (apiRule([rule([{ handler: "allow" }])]).spec) as Record<string, unknown>;
  const stored = {
    apiVersion: "gateway.kyma-project.io/v2alpha1",
    kind: "APIRule",
    metadata: {
      name: "orders",
      namespace: "shop",
      annotations: {
        "gateway.kyma-project.io/original-version": "v1beta1",
        "gateway.kyma-project.io/v1beta1-spec": JSON.stringify(spec),
      },
    },
    spec: { hosts: ["orders.example.com"] },
  };
  assert.ok(isV1beta1Source(stored));
  const result = migrateAPIRule(stored, OPTIONS);
  assert.ok(result.ok);
  assert.equal((result.value.v2.metadata as Record<string, unknown>).annotations, undefined);
});

Deno.test("migrateAPIRule() names the algorithms v2 accepts beyond a jwt rule's", () => {
  const result = migrateAPIRule(
    apiRule([rule([{ handler: "jwt", config: { jwks_urls: [JWKS], trusted_issuers: [ISSUER] } }])]),
    OPTIONS,
  );
  assert.ok(result.ok);
  assert.ok(
    result.value.steps.some((s) => /allowed_algorithms RS256 has no v2 form/.test(s.detail)),
    result.value.steps.map((s) => s.detail).join("\n"),
  );
});
