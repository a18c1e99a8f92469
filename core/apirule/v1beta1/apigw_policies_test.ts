import assert from "node:assert/strict";
import type { KubeObject } from "../../../api/meta.ts";
import { OFFLINE_CRDS } from "../../installed_crds.ts";
import { snapshotOf } from "../../snapshot.ts";
import { istioPath } from "./apigw_policies.ts";
import { planAPIRuleV1beta1 } from "./plan.ts";

const NOW = new Date("2026-01-01T00:00:00Z");

function apiRule(rules: unknown[]): KubeObject {
  return {
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name: "shop", namespace: "shop" },
    spec: {
      host: "shop.example.com",
      gateway: "kyma-system/kyma-gateway",
      service: { name: "shop", port: 80 },
      rules,
    },
  };
}

function mode(handler: string, extra = ""): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "api-gateway-config", namespace: "kyma-system" },
    data: { "api-gateway-config": `jwtHandler: ${handler}\n${extra}` },
  };
}

const GATEWAY: KubeObject = {
  apiVersion: "networking.istio.io/v1",
  kind: "Gateway",
  metadata: { name: "kyma-gateway", namespace: "kyma-system" },
  spec: { selector: { istio: "ingressgateway" }, servers: [] },
};

const SERVICE: KubeObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "shop", namespace: "shop" },
  spec: { selector: { app: "shop" } },
};

function plan(cr: KubeObject, extra: KubeObject[], crds = OFFLINE_CRDS) {
  return planAPIRuleV1beta1(cr, snapshotOf([cr, ...extra], crds), { now: NOW });
}

const INTROSPECTION = {
  handler: "oauth2_introspection",
  config: { introspection_url: "https://idp/introspect" },
};

Deno.test("planAPIRuleV1beta1() with jwtHandler apigw routes to the service and adds one CUSTOM policy", () => {
  const result = plan(
    apiRule([
      { path: "/a", methods: ["GET"], accessStrategies: [{ handler: "allow" }] },
      { path: "/b/.*", methods: ["GET", "POST"], accessStrategies: [INTROSPECTION] },
    ]),
    [mode("apigw", "apigwProvider: my-authz\n"), GATEWAY, SERVICE],
  );
  assert.equal(result.state, "Ready", result.description);
  assert.deepEqual(result.apply.map((o) => o.kind), ["VirtualService", "AuthorizationPolicy"]);
  const vs = JSON.stringify(result.apply[0]);
  assert.doesNotMatch(vs, /oathkeeper/);
  const policy = result.apply[1]!;
  assert.equal(policy.metadata.namespace, "istio-system");
  assert.deepEqual(policy.spec, {
    selector: { matchLabels: { istio: "ingressgateway" } },
    action: "CUSTOM",
    provider: { name: "my-authz" },
    rules: [{
      to: [{
        operation: {
          hosts: ["shop.example.com", "shop.example.com:*"],
          methods: ["GET", "POST"],
          paths: ["/b/*"],
        },
      }],
    }],
  });
});

Deno.test("planAPIRuleV1beta1() switching from ory to apigw deletes the owned Oathkeeper Rules", () => {
  const cr = apiRule([{ path: "/b", methods: ["GET"], accessStrategies: [INTROSPECTION] }]);
  const ory = plan(cr, [GATEWAY, SERVICE]);
  const rule = ory.apply.find((o) => o.kind === "Rule")!;
  assert.ok(rule !== undefined);
  const existing = { ...rule, metadata: { ...rule.metadata, name: "shop-abc" } };
  const apigw = plan(cr, [mode("apigw"), GATEWAY, SERVICE, existing]);
  assert.equal(apigw.state, "Ready", apigw.description);
  assert.deepEqual(apigw.delete.map((o) => `${o.kind}/${o.metadata.name}`), ["Rule/shop-abc"]);
});

Deno.test("planAPIRuleV1beta1() with jwtHandler apigw needs no Oathkeeper CRD but the Gateway", () => {
  const crds = new Set([...OFFLINE_CRDS].filter((c) => c !== "rules.oathkeeper.ory.sh"));
  const cr = apiRule([{ path: "/b", methods: ["GET"], accessStrategies: [INTROSPECTION] }]);
  assert.equal(plan(cr, [mode("apigw"), GATEWAY, SERVICE], crds).state, "Ready");
  assert.equal(plan(cr, [GATEWAY, SERVICE], crds).state, "Warning", "ory mode still needs it");
  const missing = plan(cr, [mode("apigw"), SERVICE]);
  assert.equal(missing.state, "Error");
  assert.match(missing.description, /Gateway kyma-system\/kyma-gateway was not found/);
});

Deno.test("planAPIRuleV1beta1() with jwtHandler apigw validates what apigw serves", async (t) => {
  const cases = [
    {
      name: "oauth2_client_credentials is not served",
      rules: [{
        path: "/a",
        methods: ["GET"],
        accessStrategies: [{ handler: "oauth2_client_credentials" }],
      }],
      error: /Unsupported accessStrategy with JWT handler apigw: oauth2_client_credentials/,
    },
    {
      name: "hydrator is not served",
      rules: [{
        path: "/a",
        methods: ["GET"],
        accessStrategies: [{ handler: "noop" }],
        mutators: [{ handler: "hydrator" }],
      }],
      error: /unsupported mutator with JWT handler apigw: hydrator/,
    },
    {
      name: "an Ory jwt config without jwks_urls stays checked",
      rules: [{
        path: "/a",
        methods: ["GET"],
        accessStrategies: [{ handler: "jwt", config: { jwks_urls: ["keys.json"] } }],
      }],
      error: /jwks_urls\[0\]/,
    },
    {
      name: "an Istio-dialect jwt config is accepted",
      rules: [{
        path: "/a",
        methods: ["GET"],
        accessStrategies: [{
          handler: "jwt",
          config: { authentications: [{ issuer: "https://i", jwksUri: "https://i/k" }] },
        }],
      }],
      error: undefined,
    },
    {
      name: "secure strategies chain as in Oathkeeper",
      rules: [{
        path: "/a",
        methods: ["GET"],
        accessStrategies: [
          { handler: "jwt", config: { jwks_urls: ["https://i/k"] } },
          INTROSPECTION,
        ],
      }],
      error: undefined,
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const result = plan(apiRule(tc.rules), [mode("apigw"), GATEWAY, SERVICE]);
      if (tc.error === undefined) assert.equal(result.state, "Ready", result.description);
      else {
        assert.equal(result.state, "Error");
        assert.match(result.description, tc.error);
      }
    });
  }
});

Deno.test("istioPath() gives an Istio path only where it matches what the regex matches", () => {
  assert.equal(istioPath("/orders"), "/orders");
  assert.equal(istioPath("/.*"), "/*");
  assert.equal(istioPath("/*"), "/*");
  assert.equal(istioPath("/orders/.*"), "/orders/*");
  assert.equal(istioPath("/orders/[0-9]+"), undefined);
  assert.equal(istioPath("/a.b"), undefined);
});
