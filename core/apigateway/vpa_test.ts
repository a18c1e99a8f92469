import assert from "node:assert/strict";
import { operatorVPA, operatorVPAReferences, VPA_CRD } from "./vpa.ts";
import { keys, object, snapshot } from "./_testing.ts";

const CHECKPOINT = object(
  "autoscaling.k8s.io/v1",
  "VerticalPodAutoscalerCheckpoint",
  "kyma-system/api-gateway-controller-manager-vpa-manager",
  { spec: { containerName: "manager" } },
);

const CASES = [
  { name: "no VPA CRD: nothing", extra: [], objects: [], applied: [], deleted: [] },
  {
    name: "VPA CRD: the VPA",
    extra: [VPA_CRD],
    objects: [],
    applied: [
      "autoscaling.k8s.io/VerticalPodAutoscaler kyma-system/api-gateway-controller-manager-vpa",
    ],
    deleted: [
      "autoscaling.k8s.io/VerticalPodAutoscaler kyma-system/api-gateway-controller-manager-vpa",
    ],
  },
  {
    name: "an existing checkpoint gets the labels",
    extra: [VPA_CRD],
    objects: [CHECKPOINT],
    applied: [
      "autoscaling.k8s.io/VerticalPodAutoscaler kyma-system/api-gateway-controller-manager-vpa",
      "autoscaling.k8s.io/VerticalPodAutoscalerCheckpoint kyma-system/api-gateway-controller-manager-vpa-manager",
    ],
    deleted: [
      "autoscaling.k8s.io/VerticalPodAutoscaler kyma-system/api-gateway-controller-manager-vpa",
    ],
  },
];

Deno.test("operatorVPA() follows the VPA CRD", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      const snap = snapshot(tc.objects, { extra: tc.extra });
      assert.deepEqual(keys(operatorVPA(snap)), tc.applied);
      assert.deepEqual(keys(operatorVPAReferences(snap)), tc.deleted);
    });
  }
});
