/**
 * Examples of the schema and CEL rules of apigw's CRDs (docs/spec/apirule-v2.md §3 S1–S15, the v1beta1,
 * RateLimit and APIGateway schema tables): each a complete object and whether the apiserver must
 * accept it. Used to check that the offline validator and the real apiserver agree.
 */

export interface SchemaCase {
  name: string;
  object: Record<string, unknown>;
  valid: boolean;
}

const V2_SPEC = {
  hosts: ["httpbin.example.com"],
  gateway: "kyma-system/kyma-gateway",
  service: { name: "httpbin", port: 8000 },
  rules: [{ path: "/a", methods: ["GET"], noAuth: true }],
};
const JWT = {
  authentications: [{
    issuer: "https://issuer.example.com",
    jwksUri: "https://issuer.example.com/jwks",
  }],
};

function v2(
  version: "v2" | "v2alpha1",
  spec: Record<string, unknown> | undefined,
): Record<string, unknown> {
  return {
    apiVersion: `gateway.kyma-project.io/${version}`,
    kind: "APIRule",
    metadata: { name: "schema-case" },
    ...(spec === undefined ? {} : { spec }),
  };
}

function rule(fields: Record<string, unknown>): Record<string, unknown> {
  return { ...V2_SPEC, rules: [{ path: "/a", methods: ["GET"], ...fields }] };
}

function without<T extends Record<string, unknown>>(
  object: T,
  key: string,
): Record<string, unknown> {
  const { [key]: _, ...rest } = object;
  return rest;
}

const V2_CASES: Array<[string, Record<string, unknown> | undefined, boolean]> = [
  ["valid APIRule", V2_SPEC, true],
  ["S2 hosts missing", without(V2_SPEC, "hosts"), false],
  ["S2 two hosts", { ...V2_SPEC, hosts: ["a.example.com", "b.example.com"] }, false],
  ["S2 no host", { ...V2_SPEC, hosts: [] }, false],
  ["S3 upper-case host", { ...V2_SPEC, hosts: ["Bad_Host.example.com"] }, false],
  ["S3 short host", { ...V2_SPEC, hosts: ["httpbin"] }, true],
  ["S3 wildcard host", { ...V2_SPEC, hosts: ["*.example.com"] }, true],
  ["S3 host over 255 characters", {
    ...V2_SPEC,
    hosts: [`${"a".repeat(60)}.`.repeat(5) + "example.com"],
  }, false],
  ["S4 gateway without namespace", { ...V2_SPEC, gateway: "kyma-gateway" }, false],
  [
    "S4 gateway over 127 characters",
    { ...V2_SPEC, gateway: `${"a".repeat(63)}/${"b".repeat(64)}` },
    false,
  ],
  ["S5 externalGateway without namespace", {
    ...without(V2_SPEC, "gateway"),
    externalGateway: "ext",
  }, false],
  ["S5 externalGateway as namespace/name", {
    ...without(V2_SPEC, "gateway"),
    externalGateway: "ns/ext",
  }, true],
  ["S6 rules missing", without(V2_SPEC, "rules"), false],
  ["S6 no rule", { ...V2_SPEC, rules: [] }, false],
  ["S7 {***} operator", {
    ...V2_SPEC,
    rules: [{ path: "/a/{***}", methods: ["GET"], noAuth: true }],
  }, false],
  [
    "S7 space in path",
    { ...V2_SPEC, rules: [{ path: "/a b", methods: ["GET"], noAuth: true }] },
    false,
  ],
  ["S7 broken percent-encoding", {
    ...V2_SPEC,
    rules: [{ path: "/a%2", methods: ["GET"], noAuth: true }],
  }, false],
  [
    "S7 wildcard path",
    { ...V2_SPEC, rules: [{ path: "/*", methods: ["GET"], noAuth: true }] },
    true,
  ],
  ["S7 operators", {
    ...V2_SPEC,
    rules: [{ path: "/a/{*}/b/{**}", methods: ["GET"], noAuth: true }],
  }, true],
  ["S8 no method", { ...V2_SPEC, rules: [{ path: "/a", methods: [], noAuth: true }] }, false],
  [
    "S8 unknown method",
    { ...V2_SPEC, rules: [{ path: "/a", methods: ["FETCH"], noAuth: true }] },
    false,
  ],
  ["S9 no access strategy", rule({}), false],
  ["S9 noAuth false alone", rule({ noAuth: false }), false],
  ["S9 noAuth and jwt", rule({ noAuth: true, jwt: JWT }), false],
  ["S9 noAuth false with jwt", rule({ noAuth: false, jwt: JWT }), true],
  ["S9 jwt and extAuth", rule({ jwt: JWT, extAuth: { authorizers: ["x"] } }), false],
  ["S10 service without port", { ...V2_SPEC, service: { name: "httpbin" } }, false],
  ["S10 port 0", { ...V2_SPEC, service: { name: "httpbin", port: 0 } }, false],
  ["S10 port 65536", { ...V2_SPEC, service: { name: "httpbin", port: 65536 } }, false],
  ["S10 upper-case namespace", {
    ...V2_SPEC,
    service: { name: "httpbin", port: 80, namespace: "Shop" },
  }, false],
  ["S11 timeout 0", { ...V2_SPEC, timeout: 0 }, false],
  ["S11 timeout 3901", { ...V2_SPEC, timeout: 3901 }, false],
  ["S11 timeout 3900", { ...V2_SPEC, timeout: 3900 }, true],
  ["S11 rule timeout 0", rule({ noAuth: true, timeout: 0 }), false],
  [
    "S12 maxAge 0",
    { ...V2_SPEC, corsPolicy: { allowOrigins: [{ exact: "x" }], maxAge: 0 } },
    false,
  ],
  ["S13 no authorizer", rule({ extAuth: { authorizers: [] } }), false],
  ["S13 authorizers missing", rule({ extAuth: {} }), false],
  ["S14 jwksUri missing", rule({ jwt: { authentications: [{ issuer: "https://i" }] } }), false],
  [
    "S14 empty issuer accepted by the schema",
    rule({ jwt: { authentications: [{ issuer: "", jwksUri: "" }] } }),
    true,
  ],
  [
    "S15 fromHeaders without name",
    rule({
      jwt: { authentications: [{ issuer: "i", jwksUri: "j", fromHeaders: [{ prefix: "x" }] }] },
    }),
    false,
  ],
];

const V1BETA1_SPEC = {
  host: "httpbin.example.com",
  gateway: "kyma-system/kyma-gateway",
  service: { name: "httpbin", port: 8000 },
  rules: [{ path: "/.*", methods: ["GET"], accessStrategies: [{ handler: "allow" }] }],
};

function v1beta1(spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name: "schema-case" },
    spec,
  };
}

const V1BETA1_CASES: Array<[string, Record<string, unknown>, boolean]> = [
  ["valid v1beta1 APIRule", V1BETA1_SPEC, true],
  ["host shorter than 3", { ...V1BETA1_SPEC, host: "ab" }, false],
  ["host with a space", { ...V1BETA1_SPEC, host: "bad host" }, false],
  ["short host", { ...V1BETA1_SPEC, host: "httpbin" }, true],
  ["dotted legacy gateway", {
    ...V1BETA1_SPEC,
    gateway: "kyma-gateway.kyma-system.svc.cluster.local",
  }, true],
  ["gateway with upper case", { ...V1BETA1_SPEC, gateway: "Kyma/Gateway" }, false],
  ["gateway missing", without(V1BETA1_SPEC, "gateway"), false],
  ["no rule", { ...V1BETA1_SPEC, rules: [] }, false],
  ["no access strategy", {
    ...V1BETA1_SPEC,
    rules: [{ path: "/a", methods: ["GET"], accessStrategies: [] }],
  }, false],
  ["unknown method", {
    ...V1BETA1_SPEC,
    rules: [{ path: "/a", methods: ["FETCH"], accessStrategies: [{ handler: "allow" }] }],
  }, false],
  ["path starting with a space", {
    ...V1BETA1_SPEC,
    rules: [{ path: " /a", methods: ["GET"], accessStrategies: [{ handler: "allow" }] }],
  }, false],
  ["timeout 4000", { ...V1BETA1_SPEC, timeout: 4000 }, false],
  ["free-form handler config", {
    ...V1BETA1_SPEC,
    rules: [{
      path: "/a",
      methods: ["GET"],
      accessStrategies: [{
        handler: "jwt",
        config: { trusted_issuers: ["https://i"], any: { nested: [1] } },
      }],
    }],
  }, true],
];

const RATELIMIT_SPEC = {
  selectorLabels: { app: "httpbin" },
  local: {
    defaultBucket: { maxTokens: 10, tokensPerFill: 5, fillInterval: "30s" },
    buckets: [{ path: "/a", bucket: { maxTokens: 2, tokensPerFill: 1, fillInterval: "1m" } }],
  },
};

const GLOBAL_BUCKET = { maxTokens: 60, tokensPerFill: 60, fillInterval: "1m" };

function rateLimit(spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name: "schema-case" },
    spec,
  };
}

const RATELIMIT_CASES: Array<[string, Record<string, unknown>, boolean]> = [
  ["valid RateLimit", RATELIMIT_SPEC, true],
  ["empty selector", { ...RATELIMIT_SPEC, selectorLabels: {} }, false],
  ["selector missing", without(RATELIMIT_SPEC, "selectorLabels"), false],
  ["local missing", without(RATELIMIT_SPEC, "local"), false],
  ["bucket without path or headers", {
    ...RATELIMIT_SPEC,
    local: { ...RATELIMIT_SPEC.local, buckets: [{ bucket: RATELIMIT_SPEC.local.defaultBucket }] },
  }, false],
  ["bucket with empty headers passes has()", {
    ...RATELIMIT_SPEC,
    local: {
      ...RATELIMIT_SPEC.local,
      buckets: [{ headers: {}, bucket: RATELIMIT_SPEC.local.defaultBucket }],
    },
  }, true],
  ["fillInterval not a duration", {
    ...RATELIMIT_SPEC,
    local: { defaultBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "soon" } },
  }, false],
  ["fillInterval in days (format accepts it)", {
    ...RATELIMIT_SPEC,
    local: { defaultBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1d" } },
  }, true],
  ["maxTokens missing", {
    ...RATELIMIT_SPEC,
    local: { defaultBucket: { tokensPerFill: 1, fillInterval: "1s" } },
  }, false],
  ["global keyed by client address", global({}), true],
  [
    "global key with two kinds",
    global({ key: { header: { name: "x" }, claim: { name: "sub" } } }),
    false,
  ],
  ["global key with no kind", global({ key: {} }), false],
  [
    "global bucket without path or headers",
    global({ buckets: [{ bucket: GLOBAL_BUCKET }] }),
    false,
  ],
  [
    "global fixedWindow with a refill below the burst",
    global({
      algorithm: "fixedWindow",
      defaultBucket: { maxTokens: 10, tokensPerFill: 5, fillInterval: "1m" },
    }),
    false,
  ],
  [
    "global fixedWindow with an extra bucket refilling below its burst",
    global({
      algorithm: "fixedWindow",
      defaultBucket: GLOBAL_BUCKET,
      buckets: [{ path: "/a", bucket: { maxTokens: 10, tokensPerFill: 1, fillInterval: "1m" } }],
    }),
    false,
  ],
  [
    "global fixedWindow with whole refills",
    global({
      algorithm: "fixedWindow",
      defaultBucket: GLOBAL_BUCKET,
      buckets: [{ path: "/a", failureMode: "closed", bucket: GLOBAL_BUCKET }],
    }),
    true,
  ],
  ["global unknown failureMode", global({ failureMode: "retry" }), false],
];

function global(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    ...RATELIMIT_SPEC,
    global: {
      key: { clientAddress: { trustedHops: 1 } },
      defaultBucket: GLOBAL_BUCKET,
      ...fields,
    },
  };
}

const APIGATEWAY_CASES: Array<[string, Record<string, unknown>, boolean]> = [
  ["valid APIGateway", { enableKymaGateway: true, networkPoliciesEnabled: false }, true],
  ["empty spec", {}, true],
  ["enableKymaGateway as a string", { enableKymaGateway: "yes" }, false],
];

/** Every schema case, in every served version it applies to. */
export const SCHEMA_CASES: readonly SchemaCase[] = [
  { name: "S1 v2 without spec", object: v2("v2", undefined), valid: false },
  { name: "S1 v2alpha1 without spec", object: v2("v2alpha1", undefined), valid: true },
  ...V2_CASES.flatMap(([name, spec, valid]) =>
    (["v2", "v2alpha1"] as const).map((version) => ({
      name: `${version}: ${name}`,
      object: v2(version, spec),
      valid,
    }))
  ),
  ...V1BETA1_CASES.map(([name, spec, valid]) => ({
    name: `v1beta1: ${name}`,
    object: v1beta1(spec),
    valid,
  })),
  ...RATELIMIT_CASES.map(([name, spec, valid]) => ({
    name: `RateLimit: ${name}`,
    object: rateLimit(spec),
    valid,
  })),
  ...APIGATEWAY_CASES.map(([name, spec, valid]) => ({
    name: `APIGateway: ${name}`,
    object: {
      apiVersion: "operator.kyma-project.io/v1alpha1",
      kind: "APIGateway",
      metadata: { name: "schema-case" },
      spec,
    },
    valid,
  })),
];
