import assert from "node:assert/strict";
import { compilePolicyIndex } from "../policy_index.ts";
import { GATEWAY } from "../_testing.ts";
import { v1beta1PathMatcher } from "./compile.ts";

const SPEC = {
  host: "legacy",
  gateway: "kyma-system/kyma-gateway",
  service: { name: "legacy", port: 8000 },
  rules: [{ path: "/orders/.*", methods: ["GET"], accessStrategies: [{ handler: "noop" }] }],
};

Deno.test("compilePolicyIndex() serves v1beta1 APIRules, stored ones from their v1beta1-spec annotation", () => {
  const stored = {
    apiVersion: "gateway.kyma-project.io/v2alpha1",
    kind: "APIRule",
    metadata: {
      name: "legacy",
      namespace: "shop",
      annotations: {
        "gateway.kyma-project.io/original-version": "v1beta1",
        "gateway.kyma-project.io/v1beta1-spec": JSON.stringify(SPEC),
      },
    },
    spec: { hosts: ["legacy"], gateway: "kyma-system/kyma-gateway", rules: [] },
  };
  const { index, problems } = compilePolicyIndex([GATEWAY, stored], { providerName: "apigw" });
  assert.deepEqual(problems, []);
  const rule = index.match({ host: "legacy.local.kyma.dev", method: "GET", path: "/orders/1" });
  assert.equal(rule?.id, "shop/legacy#0");
  assert.equal(rule?.auth.kind, "accessStrategies");
  assert.equal(
    index.match({ host: "legacy.local.kyma.dev", method: "POST", path: "/orders/1" }),
    undefined,
  );
});

Deno.test("compilePolicyIndex() reports a v1beta1 APIRule whose handler config is unusable", () => {
  const object = {
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name: "bad", namespace: "shop" },
    spec: {
      ...SPEC,
      host: "bad.example.com",
      rules: [{
        path: "/.*",
        methods: ["GET"],
        accessStrategies: [{ handler: "oauth2_introspection", config: {} }],
      }],
    },
  };
  const { index, problems } = compilePolicyIndex([object], { providerName: "apigw" });
  assert.equal(index.ruleCount, 0);
  assert.match(
    problems[0]?.message ?? "",
    /spec.rules\[0\].accessStrategies\[0\]: oauth2_introspection.config.introspection_url is required/,
  );
  const short = compilePolicyIndex([{ ...object, spec: SPEC }], { providerName: "apigw" });
  assert.match(short.problems[0]?.message ?? "", /no default domain/);
});

Deno.test("v1beta1PathMatcher() matches like the apigw-mode VirtualService route", () => {
  assert.equal(v1beta1PathMatcher({ path: "/*" })("/any/thing"), true);
  assert.equal(v1beta1PathMatcher({ path: "/.*" })("/any/thing"), true);
  assert.equal(v1beta1PathMatcher({ path: "/orders" })("/orders/1"), false);
  assert.equal(v1beta1PathMatcher({ path: "/a|/b" })("/b"), true);
  assert.equal(v1beta1PathMatcher({ path: "/a|/b" })("/a/b"), false);
  assert.equal(v1beta1PathMatcher({ path: "/(" })("/("), false);
});
