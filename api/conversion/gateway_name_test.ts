import assert from "node:assert/strict";
import { isLegacyGatewayName, translateGatewayName, v2GatewayName } from "./gateway_name.ts";

Deno.test("v2GatewayName() follows §6 of the conversion spec", async (t) => {
  const cases: [gateway: string, expected: string | undefined][] = [
    ["kyma-system/kyma-gateway", "kyma-system/kyma-gateway"],
    ["kyma-gateway", "shop/kyma-gateway"],
    ["kyma-gateway.kyma-system", "kyma-system/kyma-gateway"],
    ["kyma-gateway.kyma-system.svc", "kyma-system/kyma-gateway"],
    ["gw.ns.svc.cluster", "ns/gw"],
    ["kyma-gateway.kyma-system.svc.cluster.local", "kyma-system/kyma-gateway"],
    ["gw.team.example", undefined],
    ["gw.ns.svc.example", undefined],
    ["a.b.c.d.e.f", undefined],
    ["my_gw", undefined],
    ["team/my_gw", undefined],
    ["Kyma-Gateway", undefined],
    ["", undefined],
  ];
  for (const [gateway, expected] of cases) {
    await t.step(`${JSON.stringify(gateway)} → ${expected ?? "(dropped)"}`, () => {
      assert.equal(v2GatewayName(gateway, "shop"), expected);
    });
  }
});

Deno.test("isLegacyGatewayName() is false for the strict namespace/name format", () => {
  assert.equal(isLegacyGatewayName("kyma-system/kyma-gateway"), false);
  assert.equal(isLegacyGatewayName("kyma-gateway.kyma-system"), true);
  assert.equal(isLegacyGatewayName("team/my_gw"), true);
});

Deno.test("translateGatewayName() names the gateway it cannot translate", () => {
  assert.deepEqual(translateGatewayName("gw.team.example", "shop"), {
    ok: false,
    error: 'gateway "gw.team.example" is not in a legacy format',
  });
});
