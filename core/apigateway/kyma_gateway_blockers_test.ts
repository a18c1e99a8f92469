import assert from "node:assert/strict";
import type { KubeObject } from "../../api/meta.ts";
import { isKymaGateway, kymaGatewayBlocker } from "./kyma_gateway_blockers.ts";
import { object, snapshot } from "./_testing.ts";

const REFERENCES: Array<{ ref: string | undefined; namespace: string; matches: boolean }> = [
  { ref: "kyma-system/kyma-gateway", namespace: "demo", matches: true },
  { ref: "kyma-gateway.kyma-system.svc.cluster.local", namespace: "demo", matches: true },
  { ref: "kyma-gateway.kyma-system", namespace: "demo", matches: true },
  { ref: "kyma-gateway", namespace: "kyma-system", matches: true },
  { ref: "kyma-gateway", namespace: "demo", matches: false },
  { ref: "demo/kyma-gateway", namespace: "demo", matches: false },
  { ref: "kyma-system/kyma-gateway-2", namespace: "demo", matches: false },
  { ref: "kyma-gateway.kyma-system.svc.other", namespace: "demo", matches: false },
  { ref: "mesh", namespace: "kyma-system", matches: false },
  { ref: undefined, namespace: "demo", matches: false },
];

Deno.test("isKymaGateway() recognises every spelling of the Kyma Gateway (weak spot 8)", async (t) => {
  for (const tc of REFERENCES) {
    await t.step(`${tc.ref} from ${tc.namespace}`, () => {
      assert.equal(isKymaGateway(tc.ref, tc.namespace), tc.matches);
    });
  }
});

function apiRule(key: string, gateway: string): KubeObject {
  return object("gateway.kyma-project.io/v1beta1", "APIRule", key, { spec: { gateway } });
}

function virtualService(key: string, gateways: string[]): KubeObject {
  return object("networking.istio.io/v1beta1", "VirtualService", key, { spec: { gateways } });
}

const BLOCKERS: Array<{ name: string; objects: KubeObject[]; without?: string[]; names?: string }> =
  [
    { name: "nothing uses the gateway", objects: [apiRule("a/r", "demo/other")] },
    {
      name: "the health VirtualService does not block",
      objects: [virtualService("istio-system/istio-healthz", ["kyma-system/kyma-gateway"])],
    },
    {
      name: "the exemption is anchored: a look-alike blocks",
      objects: [virtualService("istio-system/istio-healthz-copy", ["kyma-system/kyma-gateway"])],
      names: "istio-healthz-copy",
    },
    {
      name: "APIRules before VirtualServices, names only, at most five",
      objects: [
        virtualService("a/vs1", ["kyma-gateway.kyma-system.svc.cluster.local"]),
        apiRule("b/r1", "kyma-system/kyma-gateway"),
        apiRule("a/r2", "kyma-system/kyma-gateway"),
        ...["vs2", "vs3", "vs4"].map((n) => virtualService(`a/${n}`, ["kyma-system/kyma-gateway"])),
      ],
      names: "r2, r1, vs1, vs2, vs3",
    },
    {
      name: "a kind whose CRD is missing is skipped",
      objects: [apiRule("a/r", "kyma-system/kyma-gateway")],
      without: ["apirules.gateway.kyma-project.io"],
    },
  ];

Deno.test("kymaGatewayBlocker() lists what still routes through the Kyma Gateway", async (t) => {
  for (const tc of BLOCKERS) {
    await t.step(tc.name, () => {
      const blocker = kymaGatewayBlocker(snapshot(tc.objects, { without: tc.without ?? [] }));
      if (tc.names === undefined) return assert.equal(blocker, undefined);
      assert.equal(blocker?.reason, "KymaGatewayDeletionBlocked");
      assert.equal(
        blocker?.message,
        `Kyma Gateway deletion blocked because of the existing custom resources: ${tc.names}`,
      );
    });
  }
});
