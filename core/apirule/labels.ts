/** Labels and constants shared by everything an APIRule owns (apirule-v2.md §8, §19). */

export const OWNER_NAME_LABEL = "apirule.gateway.kyma-project.io/name";
export const OWNER_NAMESPACE_LABEL = "apirule.gateway.kyma-project.io/namespace";
export const LEGACY_OWNER_LABEL = "apirule.gateway.kyma-project.io/v1beta1";
export const HASH_LABEL = "gateway.kyma-project.io/hash";
export const INDEX_LABEL = "gateway.kyma-project.io/index";
export const FINALIZER = "gateway.kyma-project.io/subresources";
export const ORIGINAL_VERSION_ANNOTATION = "gateway.kyma-project.io/original-version";

export const INGRESS_PRINCIPAL =
  "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";
export const DEFAULT_TIMEOUT_SECONDS = 180;

/** The six labels every object an APIRule owns carries. */
export function ownerLabels(name: string, namespace: string): Record<string, string> {
  return {
    [OWNER_NAME_LABEL]: name,
    [OWNER_NAMESPACE_LABEL]: namespace,
    "kyma-project.io/module": "api-gateway",
    "app.kubernetes.io/managed-by": "api-gateway",
    "app.kubernetes.io/component": "api-gateway",
    "app.kubernetes.io/part-of": "api-gateway",
  };
}

/**
 * Tells whether an object's labels say it is owned by the APIRule `namespace/name`: the legacy
 * label decides when present, else both owner labels must match (apirule-v2.md §12, §13.6).
 */
export function isOwnedBy(
  labels: Readonly<Record<string, string>> | undefined,
  name: string,
  namespace: string,
): boolean {
  if (labels === undefined) return false;
  const legacy = labels[LEGACY_OWNER_LABEL];
  if (legacy !== undefined) return legacy === `${name}.${namespace}`;
  return labels[OWNER_NAME_LABEL] === name && labels[OWNER_NAMESPACE_LABEL] === namespace;
}
