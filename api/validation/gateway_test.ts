import assert from "node:assert/strict";
import { discoverGateway } from "./gateway.ts";
import { cluster, KYMA_GATEWAY } from "./_testing.ts";

Deno.test("discoverGateway() finds the Gateway or fails as §5 says (G1–G4)", async (t) => {
  const facts = cluster();
  const cases: Array<{ name: string; spec: Record<string, unknown>; failure?: [string, string] }> =
    [
      {
        name: "G1 fails without gateway and externalGateway",
        spec: {},
        failure: ["spec", "Either gateway or externalGateway must be specified"],
      },
      {
        name: "G2 fails with both (D8: its own text)",
        spec: { gateway: "kyma-system/kyma-gateway", externalGateway: "demo/ext" },
        failure: ["spec", "Only one of gateway or externalGateway can be specified"],
      },
      {
        name: "G3 fails on a Gateway that does not exist",
        spec: { gateway: "kyma-system/missing-gateway" },
        failure: ["spec.gateway", "Could not get specified Gateway"],
      },
      {
        name: "G4 fails on any externalGateway (decision 5)",
        spec: { externalGateway: "demo/ext" },
        failure: ["spec.externalGateway", "ExternalGateway is not supported"],
      },
      { name: "G1–G4 pass an existing Gateway", spec: { gateway: "kyma-system/kyma-gateway" } },
    ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const discovery = discoverGateway(tc.spec, facts);
      if (tc.failure === undefined) {
        assert.deepEqual(discovery, {
          ok: true,
          gatewayRef: "kyma-system/kyma-gateway",
          gateway: { state: "found", value: KYMA_GATEWAY },
        });
      } else {
        const [attributePath, message] = tc.failure;
        assert.deepEqual(discovery, { ok: false, failure: { attributePath, message } });
      }
    });
  }
});

Deno.test("discoverGateway() leaves an unknown Gateway to a note", () => {
  const discovery = discoverGateway({ gateway: "kyma-system/kyma-gateway" }, { gateways: [] });
  assert.deepEqual(discovery, {
    ok: true,
    gatewayRef: "kyma-system/kyma-gateway",
    gateway: {
      state: "unknown",
      note: 'Gateway checks skipped: no Gateway "kyma-system/kyma-gateway" in the input',
    },
  });
});

Deno.test("discoverGateway() skips a malformed reference (S4 reports it)", () => {
  assert.deepEqual(discoverGateway({ gateway: "no-slash" }, cluster()), {
    ok: true,
    gatewayRef: undefined,
    gateway: undefined,
  });
});
