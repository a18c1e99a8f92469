/**
 * The operator NetworkPolicy (docs/spec/apigateway.md §9): it selects every pod of the module (the operator
 * and Oathkeeper) and allows HTTPS and DNS out, webhooks and metrics scraping in.
 */
import type { KubeObject } from "../../api/meta.ts";
import { KYMA_SYSTEM, MODULE, MODULE_LABEL, reference } from "./_meta.ts";

export const NETWORK_POLICY = "kyma-project.io--api-gateway-allow";
/** Names the APIGateway that maintains the policy; the watch enqueues that CR on any change. */
export const MANAGED_BY_LABEL = "api-gateway.kyma-project.io/managed-by";

const NETWORKING_K8S_V1 = "networking.k8s.io/v1";

/**
 * The desired NetworkPolicy. Its labels are exactly the managed-by label and it carries no
 * disclaimer: upstream overwrites its template's labels on every write.
 */
export function networkPolicyFor(apiGateway: string): KubeObject {
  return {
    apiVersion: NETWORKING_K8S_V1,
    kind: "NetworkPolicy",
    metadata: {
      name: NETWORK_POLICY,
      namespace: KYMA_SYSTEM,
      labels: { [MANAGED_BY_LABEL]: apiGateway },
    },
    spec: {
      podSelector: { matchLabels: { [MODULE_LABEL]: MODULE } },
      policyTypes: ["Egress", "Ingress"],
      egress: [
        { ports: [tcp(443)] },
        { ports: [udp(53), tcp(53)], to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] },
        { ports: [udp(8053), tcp(8053)], to: [kubeSystemPods("kube-dns")] },
        { ports: [udp(53), tcp(53)], to: [kubeSystemPods("node-local-dns")] },
      ],
      ingress: [
        { ports: [tcp(9443)], from: [{ namespaceSelector: {} }] },
        {
          ports: [tcp(8080)],
          from: [
            {
              podSelector: {
                matchLabels: { "networking.kyma-project.io/metrics-scraping": "allowed" },
              },
              namespaceSelector: {},
            },
            {
              podSelector: { matchExpressions: [{ key: MODULE_LABEL, operator: "Exists" }] },
              namespaceSelector: {},
            },
          ],
        },
      ],
    },
  };
}

/** The NetworkPolicy to delete when policies are disabled or the CR is torn down. */
export function networkPolicyReference(): KubeObject {
  return reference(NETWORKING_K8S_V1, "NetworkPolicy", KYMA_SYSTEM, NETWORK_POLICY);
}

function tcp(port: number): { port: number; protocol: "TCP" } {
  return { port, protocol: "TCP" };
}

function udp(port: number): { port: number; protocol: "UDP" } {
  return { port, protocol: "UDP" };
}

function kubeSystemPods(app: string): Record<string, unknown> {
  return {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
    podSelector: { matchLabels: { "k8s-app": app } },
  };
}
