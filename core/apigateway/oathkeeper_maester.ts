/**
 * The Oathkeeper Maester's identity and access (docs/spec/apigateway.md §8.3 rows 2–5): the sidecar that
 * writes Rule objects into Oathkeeper's rules file needs to read Rules cluster-wide, and its
 * metrics port is reachable without mTLS.
 */
import type { KubeObject } from "../../api/meta.ts";
import { SECURITY_V1 } from "../istio/types.ts";
import { KYMA_SYSTEM, managedMeta } from "./_meta.ts";

export const MAESTER_SERVICE_ACCOUNT = "oathkeeper-maester-account";
export const MAESTER_CLUSTER_ROLE = "oathkeeper-maester-role";
export const MAESTER_CLUSTER_ROLE_BINDING = "oathkeeper-maester-role-binding";
export const MAESTER_METRICS = "ory-oathkeeper-maester-metrics";

const RBAC_V1 = "rbac.authorization.k8s.io/v1";

/** The PeerAuthentication that lets Prometheus scrape the Maester's metrics port in plain text. */
export function maesterPeerAuthentication(): KubeObject {
  return {
    apiVersion: SECURITY_V1,
    kind: "PeerAuthentication",
    metadata: managedMeta(MAESTER_METRICS, KYMA_SYSTEM),
    spec: {
      selector: {
        matchLabels: {
          "app.kubernetes.io/instance": "ory",
          "app.kubernetes.io/name": "oathkeeper",
        },
      },
      portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
    },
  };
}

/** The ServiceAccount the Oathkeeper pods run as. */
export function maesterServiceAccount(): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: managedMeta(MAESTER_SERVICE_ACCOUNT, KYMA_SYSTEM),
  };
}

/**
 * The ClusterRole over Oathkeeper Rules. Applied whole on every pass, so a changed rule reaches
 * existing clusters (upstream never updates `rules`, §15 weak spot 4).
 */
export function maesterClusterRole(): KubeObject {
  return {
    apiVersion: RBAC_V1,
    kind: "ClusterRole",
    metadata: managedMeta(MAESTER_CLUSTER_ROLE, ""),
    rules: [{
      apiGroups: ["oathkeeper.ory.sh"],
      resources: ["rules"],
      verbs: ["deletecollection", "create", "delete", "get", "list", "patch", "update", "watch"],
    }],
  };
}

/** Binds the Maester ClusterRole to the Oathkeeper pods' ServiceAccount. */
export function maesterClusterRoleBinding(): KubeObject {
  return {
    apiVersion: RBAC_V1,
    kind: "ClusterRoleBinding",
    metadata: managedMeta(MAESTER_CLUSTER_ROLE_BINDING, ""),
    subjects: [{ kind: "ServiceAccount", name: MAESTER_SERVICE_ACCOUNT, namespace: KYMA_SYSTEM }],
    roleRef: {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: MAESTER_CLUSTER_ROLE,
    },
  };
}
