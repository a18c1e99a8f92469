import assert from "node:assert/strict";
import { canonicalV1beta1Spec } from "./canonical_json.ts";
import { defaultV2alpha1 } from "./default_v2alpha1.ts";

const ORIGINAL = "gateway.kyma-project.io/original-version";
const SAVED = "gateway.kyma-project.io/v1beta1-spec";

const RULES = [{ path: "/headers", methods: ["GET"], noAuth: true }];
const SAVED_SPEC = canonicalV1beta1Spec({
  host: "httpbin.example.com",
  gateway: "kyma-system/kyma-gateway",
  rules: [{ path: "/headers", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] }],
});

function apiRule(annotations: Record<string, string> | undefined, spec: Record<string, unknown>) {
  return {
    apiVersion: "gateway.kyma-project.io/v2alpha1",
    kind: "APIRule",
    metadata: { name: "httpbin", namespace: "shop", ...(annotations ? { annotations } : {}) },
    spec,
  };
}

Deno.test("defaultV2alpha1() sets original-version as §9 says", async (t) => {
  const cases: {
    name: string;
    annotations: Record<string, string> | undefined;
    spec: Record<string, unknown>;
    operation: string;
    patch: unknown[];
  }[] = [
    {
      name: "no annotations → v2alpha1",
      annotations: undefined,
      spec: { rules: RULES },
      operation: "CREATE",
      patch: [{ op: "add", path: "/metadata/annotations", value: { [ORIGINAL]: "v2alpha1" } }],
    },
    {
      name: "absent → v2alpha1",
      annotations: { a: "b" },
      spec: { rules: RULES },
      operation: "UPDATE",
      patch: [{
        op: "add",
        path: "/metadata/annotations/gateway.kyma-project.io~1original-version",
        value: "v2alpha1",
      }],
    },
    {
      name: "v2 stays v2",
      annotations: { [ORIGINAL]: "v2" },
      spec: { rules: RULES },
      operation: "UPDATE",
      patch: [],
    },
    {
      name: "v1beta1 without rules stays v1beta1",
      annotations: { [ORIGINAL]: "v1beta1", [SAVED]: SAVED_SPEC },
      spec: { hosts: ["x"] },
      operation: "UPDATE",
      patch: [],
    },
    {
      name: "v1beta1 with new rules → v2alpha1, saved spec dropped",
      annotations: { [ORIGINAL]: "v1beta1", [SAVED]: SAVED_SPEC },
      spec: {
        hosts: ["httpbin.example.com"],
        rules: [{ path: "/new", methods: ["GET"], noAuth: true }],
      },
      operation: "UPDATE",
      patch: [
        {
          op: "add",
          path: "/metadata/annotations/gateway.kyma-project.io~1original-version",
          value: "v2alpha1",
        },
        { op: "remove", path: "/metadata/annotations/gateway.kyma-project.io~1v1beta1-spec" },
      ],
    },
    {
      name: "v1beta1 re-applied unchanged stays v1beta1 (decision 7)",
      annotations: { [ORIGINAL]: "v1beta1", [SAVED]: SAVED_SPEC },
      spec: { hosts: ["httpbin.example.com"], gateway: "kyma-system/kyma-gateway", rules: RULES },
      operation: "UPDATE",
      patch: [],
    },
    {
      name: "DELETE is left alone",
      annotations: undefined,
      spec: { rules: RULES },
      operation: "DELETE",
      patch: [],
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const result = defaultV2alpha1(apiRule(tc.annotations, tc.spec), tc.operation);
      assert.ok(result.ok);
      assert.deepEqual(result.value.patch, tc.patch);
    });
  }
});

Deno.test("defaultV2alpha1() returns the defaulted object beside the patch", () => {
  const result = defaultV2alpha1(apiRule({ a: "b" }, { rules: RULES }), "CREATE");
  assert.ok(result.ok);
  assert.deepEqual(result.value.object.metadata, {
    name: "httpbin",
    namespace: "shop",
    annotations: { a: "b", [ORIGINAL]: "v2alpha1" },
  });
});

Deno.test("defaultV2alpha1() fails on malformed input, naming the field", async (t) => {
  const cases: [unknown, string][] = [
    [null, ""],
    [{ metadata: { annotations: { [ORIGINAL]: 2 } } }, `metadata.annotations[${ORIGINAL}]`],
    [{ metadata: {}, spec: { rules: "x" } }, "spec.rules"],
  ];
  for (const [object, field] of cases) {
    await t.step(field || "not an object", () => {
      const result = defaultV2alpha1(object, "CREATE");
      assert.equal(result.ok ? "" : result.error.field, field);
      assert.match(result.ok ? "" : result.error.message, /^Cannot default APIRule/);
    });
  }
});
