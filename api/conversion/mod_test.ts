import assert from "node:assert/strict";
import { convertAPIRule, type ConvertedAPIRule } from "./mod.ts";

const V1BETA1 = "gateway.kyma-project.io/v1beta1";
const V2ALPHA1 = "gateway.kyma-project.io/v2alpha1";
const V2 = "gateway.kyma-project.io/v2";
const ORIGINAL = "gateway.kyma-project.io/original-version";

const METADATA = {
  name: "httpbin",
  namespace: "shop",
  uid: "6d1e",
  labels: { team: "checkout" },
  annotations: { note: "kept" },
};

const CONVERTIBLE_V1BETA1 = {
  apiVersion: V1BETA1,
  kind: "APIRule",
  metadata: METADATA,
  spec: {
    host: "httpbin.example.com",
    gateway: "kyma-system/kyma-gateway",
    service: { name: "httpbin", port: 8000 },
    corsPolicy: { allowOrigins: [{ exact: "https://a" }], maxAge: "1m30.5s" },
    rules: [{ path: "/headers", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] }],
  },
};

const INCONVERTIBLE_V1BETA1 = {
  ...CONVERTIBLE_V1BETA1,
  spec: {
    ...CONVERTIBLE_V1BETA1.spec,
    rules: [{ path: "/.*", methods: ["GET"], accessStrategies: [{ handler: "noop" }] }],
  },
};

const V2_OBJECT = {
  apiVersion: V2,
  kind: "APIRule",
  metadata: METADATA,
  spec: {
    hosts: ["orders.example.com"],
    gateway: "kyma-system/kyma-gateway",
    rules: [{
      path: "/orders/{**}",
      methods: ["GET"],
      jwt: { authentications: [{ issuer: "i", jwksUri: "k" }] },
    }],
  },
  status: { state: "Ready", description: "ok" },
};

function convert(object: unknown, to: string): ConvertedAPIRule {
  const result = convertAPIRule(object, to);
  assert.ok(result.ok, result.ok ? "" : result.error.message);
  return result.value;
}

Deno.test("convertAPIRule() sets apiVersion and keeps kind, name, namespace, uid and labels (§14.5)", async (t) => {
  const pairs: [unknown, string][] = [
    [CONVERTIBLE_V1BETA1, V2ALPHA1],
    [CONVERTIBLE_V1BETA1, V2],
    [V2_OBJECT, V1BETA1],
    [V2_OBJECT, V2ALPHA1],
    [{ ...V2_OBJECT, apiVersion: V2ALPHA1 }, V2],
    [{ ...V2_OBJECT, apiVersion: V2ALPHA1 }, V1BETA1],
  ];
  for (const [object, to] of pairs) {
    await t.step(`to ${to}`, () => {
      const converted = convert(object, to);
      assert.equal(converted.apiVersion, to);
      assert.equal(converted.kind, "APIRule");
      const { annotations: _a, ...rest } = converted.metadata;
      const { annotations: _b, ...expected } = METADATA;
      assert.deepEqual(rest, expected);
      assert.equal(converted.metadata.annotations?.note, "kept");
    });
  }
});

Deno.test("convertAPIRule() goes through the hub for v1beta1 ⇄ v2 (§3)", () => {
  const v2 = convert(CONVERTIBLE_V1BETA1, V2);
  assert.equal(v2.metadata.annotations?.[ORIGINAL], "v1beta1");
  assert.deepEqual(v2.spec, {
    hosts: ["httpbin.example.com"],
    service: { name: "httpbin", port: 8000 },
    gateway: "kyma-system/kyma-gateway",
    corsPolicy: { allowOrigins: [{ exact: "https://a" }], maxAge: 90 },
    rules: [{ path: "/headers", methods: ["GET"], noAuth: true }],
  });
  const v1beta1 = convert(V2_OBJECT, V1BETA1);
  assert.equal(v1beta1.metadata.annotations?.[ORIGINAL], "v2");
  assert.deepEqual(v1beta1.status, { APIRuleStatus: { code: "OK", desc: "ok" } });
});

Deno.test("convertAPIRule() round trips as the §11 table says", async (t) => {
  const cases: [string, { spec?: unknown }, string[]][] = [
    ["v1beta1 → v2alpha1 → v1beta1", CONVERTIBLE_V1BETA1, [V2ALPHA1, V1BETA1]],
    ["v1beta1 (not convertible) → v2 → v1beta1", INCONVERTIBLE_V1BETA1, [V2, V1BETA1]],
    // upstream: empty spec, since v2 → hub flips original-version to v2
    ["v1beta1 (convertible) → v2 → v1beta1 (decision 7)", CONVERTIBLE_V1BETA1, [V2, V1BETA1]],
    ["v2 → v2alpha1 → v2", V2_OBJECT, [V2ALPHA1, V2]],
    ["v2alpha1 → v2 → v2alpha1", { ...V2_OBJECT, apiVersion: V2ALPHA1 }, [V2, V2ALPHA1]],
    // upstream: empty spec, since the v1beta1 view of a v2 object is empty
    ["v2 → v1beta1 → v2 (best-effort view)", V2_OBJECT, [V1BETA1, V2]],
  ];
  for (const [name, start, path] of cases) {
    await t.step(name, () => {
      let object: unknown = start;
      let spec: unknown;
      for (const to of path) {
        const converted = convert(object, to);
        object = converted;
        spec = converted.spec;
      }
      assert.deepEqual(spec, start.spec);
    });
  }
});

Deno.test("convertAPIRule() fails with a message naming the object and the field", async (t) => {
  const cases: [string, unknown, string, string][] = [
    [
      "unknown target",
      CONVERTIBLE_V1BETA1,
      "gateway.kyma-project.io/v3",
      'unknown target apiVersion "gateway.kyma-project.io/v3"',
    ],
    ["same version", V2_OBJECT, V2, "conversion is not allowed between same type"],
    ["not an object", [], V2, "expected an object, got a list"],
    [
      "wrong kind",
      { ...V2_OBJECT, kind: "RateLimit" },
      V1BETA1,
      'kind: must be "APIRule", got "RateLimit"',
    ],
    [
      "unknown apiVersion",
      { ...V2_OBJECT, apiVersion: "v1" },
      V1BETA1,
      'apiVersion: "v1" is not an APIRule version',
    ],
    ["metadata not a map", { ...V2_OBJECT, metadata: "x" }, V1BETA1, "metadata: must be an object"],
    [
      "spec field of the wrong type",
      { ...V2_OBJECT, spec: { hosts: "a" } },
      V1BETA1,
      "spec.hosts: must be a list, got a string",
    ],
    [
      "status field of the wrong type",
      { ...V2_OBJECT, status: { state: 1 } },
      V1BETA1,
      "status.state: must be a string",
    ],
    [
      "bad maxAge",
      { ...CONVERTIBLE_V1BETA1, spec: { corsPolicy: { maxAge: "5x" } } },
      V2,
      'spec.corsPolicy.maxAge: unit "x" is not supported',
    ],
    [
      "undecodable jwt config",
      {
        ...CONVERTIBLE_V1BETA1,
        spec: {
          rules: [{
            path: "/a",
            accessStrategies: [{ handler: "jwt", config: { authentications: "x" } }],
          }],
        },
      },
      V2,
      "spec.rules[0].accessStrategies[0].config.authentications: must be a list",
    ],
  ];
  for (const [name, object, to, reason] of cases) {
    await t.step(name, () => {
      const result = convertAPIRule(object, to);
      assert.equal(result.ok, false);
      const message = result.ok ? "" : result.error.message;
      assert.ok(message.includes(reason), message);
      if (name !== "not an object" && name !== "metadata not a map") {
        assert.ok(message.startsWith(`Cannot convert APIRule "shop/httpbin" to ${to}: `), message);
      }
    });
  }
});

Deno.test("convertAPIRule() drops unknown fields and treats null as absent, as Go's decoder does", () => {
  const converted = convert({
    ...V2_OBJECT,
    extra: 1,
    spec: { ...V2_OBJECT.spec, unknown: true, timeout: null },
  }, V2ALPHA1);
  assert.equal("extra" in converted, false);
  assert.deepEqual(converted.spec, V2_OBJECT.spec);
});

Deno.test("convertAPIRule() converts an object without metadata or spec", () => {
  const converted = convert({ apiVersion: V2ALPHA1, kind: "APIRule" }, V1BETA1);
  assert.deepEqual(converted, { apiVersion: V1BETA1, kind: "APIRule", metadata: {}, spec: {} });
});
