/**
 * The operator's own VerticalPodAutoscaler (docs/spec/apigateway.md §11), maintained only where the VPA CRD
 * is installed, and the labels of its checkpoint.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { Snapshot } from "../snapshot.ts";
import { KYMA_SYSTEM, managedMeta, MODULE, MODULE_LABEL, reference } from "./_meta.ts";

export const VPA_CRD = "verticalpodautoscalers.autoscaling.k8s.io";
const AUTOSCALING_K8S_V1 = "autoscaling.k8s.io/v1";
const VPA = "api-gateway-controller-manager-vpa";
const CHECKPOINT = "api-gateway-controller-manager-vpa-manager";

const VPA_LABELS: Readonly<Record<string, string>> = {
  [MODULE_LABEL]: MODULE,
  "app.kubernetes.io/managed-by": MODULE,
  "app.kubernetes.io/component": MODULE,
  "app.kubernetes.io/part-of": MODULE,
};

/**
 * The VPA, and the labels of its checkpoint when the recommender has created one (the checkpoint
 * is not ours: only its labels are applied). Nothing without the VPA CRD.
 */
export function operatorVPA(snapshot: Snapshot): KubeObject[] {
  if (!snapshot.hasCRD(VPA_CRD)) return [];
  const vpa: KubeObject = {
    apiVersion: AUTOSCALING_K8S_V1,
    kind: "VerticalPodAutoscaler",
    metadata: managedMeta(VPA, KYMA_SYSTEM, { labels: { ...VPA_LABELS } }),
    spec: {
      targetRef: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "api-gateway-controller-manager",
      },
      updatePolicy: { updateMode: "InPlaceOrRecreate", minReplicas: 1 },
      resourcePolicy: { containerPolicies: [containerPolicy("manager"), containerPolicy("init")] },
    },
  };
  const checkpoint = snapshot.get(
    "autoscaling.k8s.io",
    "VerticalPodAutoscalerCheckpoint",
    KYMA_SYSTEM,
    CHECKPOINT,
  );
  if (checkpoint === undefined) return [vpa];
  return [vpa, {
    apiVersion: AUTOSCALING_K8S_V1,
    kind: "VerticalPodAutoscalerCheckpoint",
    metadata: { name: CHECKPOINT, namespace: KYMA_SYSTEM, labels: { ...VPA_LABELS } },
  }];
}

/** The VPA to delete on teardown (when its CRD is installed). */
export function operatorVPAReferences(snapshot: Snapshot): KubeObject[] {
  return snapshot.hasCRD(VPA_CRD)
    ? [reference(AUTOSCALING_K8S_V1, "VerticalPodAutoscaler", KYMA_SYSTEM, VPA)]
    : [];
}

function containerPolicy(containerName: string): Record<string, unknown> {
  return {
    containerName,
    minAllowed: { cpu: "10m", memory: "64Mi" },
    maxAllowed: { cpu: "10000m", memory: "16Gi" },
    controlledResources: ["cpu", "memory"],
    controlledValues: "RequestsAndLimits",
  };
}
