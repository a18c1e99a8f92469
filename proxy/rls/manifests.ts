/**
 * What `apigw manifests --rls-configmap NAME` adds to the authz service: a Role and RoleBinding
 * that let its ServiceAccount read and watch that one ConfigMap (list and watch go through a
 * `metadata.name` field selector, which `resourceNames` permits), and the gRPC port.
 */

/** The gRPC port of the rate limit service in the cluster (envoyproxy/ratelimit's default). */
export const RLS_PORT = 8081;

export interface RlsManifestOptions {
  namespace: string;
  /** Name of the authz ServiceAccount, Role and RoleBinding. */
  name: string;
  configMap: string;
  labels: Record<string, string>;
}

/** The container arguments that turn the service on. */
export function rlsArgs(options: RlsManifestOptions): string[] {
  return [
    "--rls-listen",
    `0.0.0.0:${RLS_PORT}`,
    "--rls-configmap",
    `${options.namespace}/${options.configMap}`,
  ];
}

/** Role and RoleBinding: get, list and watch of the one ConfigMap. */
export function rlsRbac(options: RlsManifestOptions): Record<string, unknown>[] {
  const metadata = {
    name: `${options.name}-rls`,
    namespace: options.namespace,
    labels: options.labels,
  };
  return [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata,
      rules: [{
        apiGroups: [""],
        resources: ["configmaps"],
        resourceNames: [options.configMap],
        verbs: ["get", "list", "watch"],
      }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: metadata.name },
      subjects: [{ kind: "ServiceAccount", name: options.name, namespace: options.namespace }],
    },
  ];
}
