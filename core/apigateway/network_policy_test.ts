import assert from "node:assert/strict";
import { planAPIGateway } from "./plan.ts";
import { apiGateway, keys, NOW, snapshot } from "./_testing.ts";

const POLICY = "networking.k8s.io/NetworkPolicy kyma-system/kyma-project.io--api-gateway-allow";

const CASES = [
  { name: "enabled: applied", spec: { networkPoliciesEnabled: true }, applied: true },
  { name: "absent: deleted", spec: {}, applied: false },
  { name: "false: deleted", spec: { networkPoliciesEnabled: false }, applied: false },
  { name: "not exactly true: deleted", spec: { networkPoliciesEnabled: "true" }, applied: false },
];

Deno.test("planAPIGateway() maintains the NetworkPolicy only when enabled", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      const cr = apiGateway("default", { spec: tc.spec });
      const plan = planAPIGateway(cr, snapshot([cr]), { now: NOW });
      assert.equal(keys(plan.apply).includes(POLICY), tc.applied);
      assert.equal(keys(plan.delete).includes(POLICY), !tc.applied);
    });
  }
});

Deno.test("planAPIGateway() labels the NetworkPolicy with exactly the owner's name", () => {
  const cr = apiGateway("my-gateway", { spec: { networkPoliciesEnabled: true } });
  const policy = planAPIGateway(cr, snapshot([cr]), { now: NOW }).apply
    .find((o) => o.kind === "NetworkPolicy");
  assert.deepEqual(policy?.metadata, {
    name: "kyma-project.io--api-gateway-allow",
    namespace: "kyma-system",
    labels: { "api-gateway.kyma-project.io/managed-by": "my-gateway" },
  });
});
