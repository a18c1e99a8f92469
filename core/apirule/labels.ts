/** Labels and constants shared by everything an APIRule owns (docs/spec/apirule-v2.md §8, §19). */

import { OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL } from "../../api/apirule/ownership.ts";

export {
  isOwnedBy,
  LEGACY_OWNER_LABEL,
  OWNER_NAME_LABEL,
  OWNER_NAMESPACE_LABEL,
} from "../../api/apirule/ownership.ts";
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
