import assert from "node:assert/strict";
import type { KubeObject } from "../../api/meta.ts";
import { dependencyKeys, gatewayKey, hostKeys } from "./dependencies.ts";

function rule(spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: "gateway.kyma-project.io/v2alpha1",
    kind: "APIRule",
    metadata: { name: "r", namespace: "shop", ...(annotations ? { annotations } : {}) },
    spec,
  };
}

Deno.test("dependencyKeys() names the Services, Gateway and hosts an APIRule reads", async (t) => {
  await t.step("v2: spec and rule services, gateway, FQDN and short hosts", () => {
    const keys = dependencyKeys(rule({
      hosts: ["a.example.com", "short"],
      gateway: "kyma-system/kyma-gateway",
      service: { name: "main", namespace: "backend" },
      rules: [{ service: { name: "other" } }, { path: "/" }],
    }));
    assert.deepEqual(keys.sort(), [
      "gw:kyma-system/kyma-gateway",
      "host:a.example.com",
      "short:short",
      "svc:backend/main",
      "svc:backend/other",
      "svc:shop/other",
    ]);
  });
  await t.step("v1beta1-authored: the original spec and the default gateway", () => {
    const keys = dependencyKeys(rule({}, {
      "gateway.kyma-project.io/v1beta1-spec": JSON.stringify({
        host: "orders",
        gateway: "kyma-gateway.kyma-system.svc.cluster.local",
        service: { name: "orders", port: 80 },
        rules: [],
      }),
    }));
    assert.deepEqual(keys.sort(), [
      "gw:kyma-system/kyma-gateway",
      "short:orders",
      "svc:shop/orders",
    ]);
  });
  await t.step("an unreadable annotation adds nothing but the default gateway", () => {
    const keys = dependencyKeys(rule({}, { "gateway.kyma-project.io/v1beta1-spec": "{" }));
    assert.deepEqual(keys, ["gw:kyma-system/kyma-gateway"]);
  });
});

Deno.test("gatewayKey() reads namespace/name, FQDN and bare references", () => {
  assert.equal(gatewayKey("a/b", "ns"), "a/b");
  assert.equal(gatewayKey("gw.istio-system.svc.cluster.local", "ns"), "istio-system/gw");
  assert.equal(gatewayKey("gw", "ns"), "ns/gw");
});

Deno.test("hostKeys() gives each host and its first label", () => {
  assert.deepEqual(hostKeys(["a.example.com"]), ["host:a.example.com", "short:a"]);
});
