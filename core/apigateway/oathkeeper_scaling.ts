/**
 * Oathkeeper's HorizontalPodAutoscaler (production clusters only) and PodDisruptionBudget
 * (docs/spec/apigateway.md §8.3 rows 8 and 12, §8.9).
 */
import type { KubeObject } from "../../api/meta.ts";
import { KYMA_SYSTEM, managedMeta, reference } from "./_meta.ts";
import { OATHKEEPER, OATHKEEPER_SELECTOR } from "./oathkeeper_services.ts";

const AUTOSCALING_V2 = "autoscaling/v2";

/** The HPA of Deployment `ory-oathkeeper`: 3 to 10 replicas at 80 % CPU. */
export function oathkeeperHPA(): KubeObject {
  return {
    apiVersion: AUTOSCALING_V2,
    kind: "HorizontalPodAutoscaler",
    metadata: managedMeta(OATHKEEPER, KYMA_SYSTEM, {
      labels: { app: "oathkeeper", ...OATHKEEPER_SELECTOR },
    }),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: OATHKEEPER },
      minReplicas: 3,
      maxReplicas: 10,
      metrics: [{
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
      }],
    },
  };
}

/** The HPA to delete on evaluation clusters and on teardown. */
export function oathkeeperHPAReference(): KubeObject {
  return reference(AUTOSCALING_V2, "HorizontalPodAutoscaler", KYMA_SYSTEM, OATHKEEPER);
}

/** The PodDisruptionBudget: at most one Oathkeeper pod down at a time. */
export function oathkeeperPDB(): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: managedMeta(OATHKEEPER, KYMA_SYSTEM),
    spec: { maxUnavailable: 1, selector: { matchLabels: { ...OATHKEEPER_SELECTOR } } },
  };
}
