import assert from "node:assert/strict";
import type { HubObject, Metadata, V1beta1Object, V1beta1Rule, V1beta1Spec } from "./_types.ts";
import { toHub } from "./to_hub.ts";

const ORIGINAL = "gateway.kyma-project.io/original-version";
const SAVED = "gateway.kyma-project.io/v1beta1-spec";
const LEGACY_RULES = "gateway.kyma-project.io/v2alpha1-rules";

const SPEC: V1beta1Spec = {
  host: "httpbin.example.com",
  service: { name: "httpbin", port: 8000 },
  gateway: "kyma-system/kyma-gateway",
  rules: [{ path: "/headers", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] }],
};

function object(spec: V1beta1Spec, metadata: Metadata = {}): V1beta1Object {
  return { metadata: { name: "httpbin", namespace: "shop", ...metadata }, spec };
}

function hub(source: V1beta1Object): HubObject {
  const result = toHub(source);
  assert.ok(result.ok, result.ok ? "" : `${result.error.field}: ${result.error.reason}`);
  return result.value;
}

function rule(extra: V1beta1Rule): V1beta1Spec {
  return { rules: [{ path: "/a", methods: ["GET"], ...extra }] };
}

Deno.test("toHub() copies all metadata (§4 step 1)", () => {
  const metadata = {
    uid: "u-1",
    labels: { team: "checkout" },
    finalizers: ["f"],
    annotations: { a: "b" },
  };
  const result = hub(object(SPEC, metadata));
  assert.equal(result.metadata.uid, "u-1");
  assert.deepEqual(result.metadata.labels, { team: "checkout" });
  assert.deepEqual(result.metadata.finalizers, ["f"]);
  assert.equal(result.metadata.annotations?.a, "b");
});

Deno.test("toHub() maps the status and drops sub-resource detail (§4 step 2)", () => {
  const result = hub({
    ...object(SPEC),
    status: { APIRuleStatus: { code: "OK", desc: "fine" }, observedGeneration: 2 },
  });
  assert.deepEqual(result.status, { state: "Ready", description: "fine" });
  assert.equal(hub({ ...object(SPEC), status: { observedGeneration: 2 } }).status, undefined);
});

Deno.test("toHub() saves the spec and marks original-version v1beta1 (§4 step 3)", async (t) => {
  for (const original of [undefined, "v1beta1", "something"]) {
    await t.step(`original-version ${original ?? "absent"}`, () => {
      const annotations = original === undefined ? {} : { [ORIGINAL]: original };
      const result = hub(object({ ...SPEC, gateway: "kyma-gateway.kyma-system" }, { annotations }));
      assert.equal(result.metadata.annotations?.[ORIGINAL], "v1beta1");
      // saved before the gateway is translated
      assert.equal(
        JSON.parse(result.metadata.annotations?.[SAVED] ?? "").gateway,
        "kyma-gateway.kyma-system",
      );
    });
  }
  for (const original of ["v2", "v2alpha1"]) {
    await t.step(`original-version ${original} writes neither annotation`, () => {
      const result = hub(object(SPEC, { annotations: { [ORIGINAL]: original } }));
      assert.deepEqual(result.metadata.annotations, { [ORIGINAL]: original });
    });
  }
});

Deno.test("toHub() fails when a jwt config cannot be decoded (§4 step 4)", () => {
  const result = toHub(
    object(rule({ accessStrategies: [{ handler: "jwt", config: { trusted_issuers: "x" } }] })),
  );
  assert.equal(result.ok, false);
  assert.equal(
    result.ok ? "" : result.error.field,
    "spec.rules[0].accessStrategies[0].config.trusted_issuers",
  );
});

Deno.test("toHub() translates legacy gateways and drops what is not namespace/name (§4 step 5)", async (t) => {
  const cases: [string, string | undefined][] = [
    ["kyma-system/kyma-gateway", "kyma-system/kyma-gateway"],
    ["kyma-gateway", "shop/kyma-gateway"],
    ["kyma-gateway.kyma-system.svc.cluster.local", "kyma-system/kyma-gateway"],
    ["my_gw", undefined],
  ];
  for (const [gateway, expected] of cases) {
    await t.step(
      gateway,
      () => assert.equal(hub(object({ ...SPEC, gateway })).spec?.gateway, expected),
    );
  }
});

Deno.test("toHub() copies service, timeout and host (§4 steps 6, 7, 9)", () => {
  const result = hub(
    object({
      ...SPEC,
      service: { name: "s", namespace: "ns", port: 80, external: true },
      timeout: 300,
    }),
  );
  assert.deepEqual(result.spec?.service, { name: "s", namespace: "ns", port: 80, external: true });
  assert.equal(result.spec?.timeout, 300);
  assert.deepEqual(result.spec?.hosts, ["httpbin.example.com"]);
  assert.equal(hub(object({ rules: [] })).spec?.hosts, undefined);
});

Deno.test("toHub() converts the CORS policy, maxAge in whole seconds (§4 step 8)", async (t) => {
  const policy = {
    allowHeaders: ["X-H"],
    allowMethods: ["GET"],
    allowOrigins: [{ prefix: "https://" }],
    allowCredentials: true,
    exposeHeaders: ["X-E"],
  };
  await t.step("lists and flags are copied", () => {
    assert.deepEqual(hub(object({ ...SPEC, corsPolicy: policy })).spec?.corsPolicy, policy);
  });
  await t.step("an empty policy stays, without an invented maxAge", () => {
    assert.deepEqual(hub(object({ ...SPEC, corsPolicy: {} })).spec?.corsPolicy, {});
  });
  for (
    const [maxAge, seconds] of [["90.5s", 90], ["1m", 60], ["5m0s", 300], ["1h0m0s", 3600]] as const
  ) {
    await t.step(`maxAge ${maxAge} → ${seconds}`, () => {
      assert.equal(
        hub(object({ ...SPEC, corsPolicy: { maxAge } })).spec?.corsPolicy?.maxAge,
        seconds,
      );
    });
  }
});

Deno.test("toHub() gives maxAge below one second as 1, where upstream gives the invalid 0 (§17 item 9)", async (t) => {
  for (const maxAge of ["500ms", "0s", "1ns"]) {
    await t.step(maxAge, () => {
      assert.equal(hub(object({ ...SPEC, corsPolicy: { maxAge } })).spec?.corsPolicy?.maxAge, 1);
    });
  }
});

Deno.test("toHub() gives the hub no rules unless every rule converts (§4 step 10)", () => {
  const spec: V1beta1Spec = {
    ...SPEC,
    rules: [
      { path: "/a", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] },
      { path: "/.*", methods: ["GET"], accessStrategies: [{ handler: "allow" }] },
    ],
  };
  const result = hub(object(spec));
  assert.equal(result.spec?.rules, undefined);
  assert.deepEqual(result.spec?.hosts, ["httpbin.example.com"]);
});

Deno.test("toHub() takes rules from the legacy v2alpha1-rules annotation of v2 objects (§4 step 11)", async (t) => {
  const legacy = [{ path: "/legacy", methods: ["POST"], extAuth: { authorizers: ["x"] } }];
  await t.step("used when original-version is v2", () => {
    const annotations = { [ORIGINAL]: "v2", [LEGACY_RULES]: JSON.stringify(legacy) };
    assert.deepEqual(hub(object(SPEC, { annotations })).spec?.rules, legacy);
  });
  await t.step("ignored when original-version is v1beta1", () => {
    const annotations = { [ORIGINAL]: "v1beta1", [LEGACY_RULES]: JSON.stringify(legacy) };
    assert.equal(hub(object(SPEC, { annotations })).spec?.rules?.[0]?.path, "/headers");
  });
  await t.step("not JSON is an error naming the annotation", () => {
    const annotations = { [ORIGINAL]: "v2alpha1", [LEGACY_RULES]: "{" };
    const result = toHub(object(SPEC, { annotations }));
    assert.equal(result.ok ? "" : result.error.field, `metadata.annotations[${LEGACY_RULES}]`);
  });
  await t.step("not a list of rules is an error naming the annotation", () => {
    const annotations = { [ORIGINAL]: "v2alpha1", [LEGACY_RULES]: '{"path":"/a"}' };
    const result = toHub(object(SPEC, { annotations }));
    assert.equal(result.ok ? "" : result.error.field, `metadata.annotations[${LEGACY_RULES}]`);
  });
});

const JWT = {
  handler: "jwt",
  config: { trusted_issuers: ["https://i"], jwks_urls: ["https://k"], required_scope: ["read"] },
};

Deno.test("toHub() converts each rule as the §4 step 12 table says", async (t) => {
  const cases: { name: string; rule: V1beta1Rule; expected: Record<string, unknown> }[] = [
    {
      name: "path, service, methods and timeout are copied",
      rule: {
        path: "/a/{*}",
        service: { name: "s", port: 81 },
        methods: ["GET", "PUT"],
        timeout: 20,
        accessStrategies: [{ handler: "no_auth" }],
      },
      expected: {
        path: "/a/{*}",
        service: { name: "s", port: 81 },
        methods: ["GET", "PUT"],
        noAuth: true,
        timeout: 20,
      },
    },
    {
      name: "jwt from the strategy config",
      rule: { path: "/a", methods: ["GET"], accessStrategies: [JWT] },
      expected: {
        path: "/a",
        methods: ["GET"],
        jwt: {
          authentications: [{ issuer: "https://i", jwksUri: "https://k" }],
          authorizations: [{ requiredScopes: ["read"] }],
        },
      },
    },
    {
      name: "no_auth and jwt together give both",
      rule: { path: "/a", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }, JWT] },
      expected: {
        path: "/a",
        methods: ["GET"],
        noAuth: true,
        jwt: {
          authentications: [{ issuer: "https://i", jwksUri: "https://k" }],
          authorizations: [{ requiredScopes: ["read"] }],
        },
      },
    },
    {
      name: "several jwt strategies merge, later keys winning",
      rule: {
        path: "/a",
        methods: ["GET"],
        accessStrategies: [JWT, {
          handler: "jwt",
          config: { authorizations: [{ audiences: ["x"] }] },
        }],
      },
      expected: {
        path: "/a",
        methods: ["GET"],
        jwt: {
          authentications: [{ issuer: "https://i", jwksUri: "https://k" }],
          authorizations: [{ audiences: ["x"] }],
        },
      },
    },
    {
      name: "an empty mutators list still gives a request",
      rule: {
        path: "/a",
        methods: ["GET"],
        accessStrategies: [{ handler: "no_auth" }],
        mutators: [],
      },
      expected: { path: "/a", methods: ["GET"], noAuth: true, request: {} },
    },
    {
      name: "header and cookie mutators give headers and cookies, others are ignored",
      rule: {
        path: "/a",
        methods: ["GET"],
        accessStrategies: [{ handler: "no_auth" }],
        mutators: [
          { handler: "id_token", config: { claims: "{}" } },
          { handler: "cookie", config: { cookies: { c: "1" } } },
          { handler: "header", config: { headers: { "X-A": "a" } } },
        ],
      },
      expected: {
        path: "/a",
        methods: ["GET"],
        noAuth: true,
        request: { headers: { "X-A": "a" }, cookies: { c: "1" } },
      },
    },
  ];
  for (const tc of cases) {
    await t.step(
      tc.name,
      () => assert.deepEqual(hub(object({ rules: [tc.rule] })).spec?.rules, [tc.expected]),
    );
  }
  await t.step("extAuth is never set from v1beta1 handlers", () => {
    const rules = hub(object(rule({ accessStrategies: [{ handler: "no_auth" }] }))).spec?.rules;
    assert.equal(rules?.[0]?.extAuth, undefined);
  });
});

Deno.test("toHub() treats a header or cookie mutator without config as setting nothing, where upstream crashes (§15)", () => {
  const result = hub(object(rule({
    accessStrategies: [{ handler: "no_auth" }],
    mutators: [{ handler: "header" }, { handler: "cookie" }],
  })));
  assert.deepEqual(result.spec?.rules?.[0]?.request, {});
});

Deno.test("toHub() fails on mutator headers that are not a string map, naming the field", () => {
  const result = toHub(object(rule({
    accessStrategies: [{ handler: "no_auth" }],
    mutators: [{ handler: "header", config: { headers: { "X-A": 1 } } }],
  })));
  assert.equal(
    result.ok ? "" : result.error.field,
    "spec.rules[0].mutators[0].config.headers[X-A]",
  );
});

Deno.test("toHub() converts apigw's ext-auth strategy back to extAuth", () => {
  const extAuth = {
    authorizers: ["oauth2-proxy"],
    restrictions: { authentications: [{ issuer: "i", jwksUri: "k" }] },
  };
  const result = hub(
    object(rule({ accessStrategies: [{ handler: "ext-auth", config: extAuth }] }), {
      annotations: { [ORIGINAL]: "v2" },
    }),
  );
  assert.deepEqual(result.spec?.rules?.[0]?.extAuth, extAuth);
});
