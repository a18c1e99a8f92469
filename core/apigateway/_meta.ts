/**
 * Names, labels and annotations shared by everything the APIGateway reconcile installs
 * (docs/spec/apigateway.md §6): the module label, the disclaimer annotation and the standard operator labels.
 */
import type { KubeObject, ObjectMeta } from "../../api/meta.ts";

export const KYMA_SYSTEM = "kyma-system";
export const ISTIO_SYSTEM = "istio-system";
export const APIGATEWAY_GROUP = "operator.kyma-project.io";

export const MODULE_LABEL = "kyma-project.io/module";
export const MODULE = "api-gateway";
export const DISCLAIMER_ANNOTATION = "apigateways.operator.kyma-project.io/managed-by-disclaimer";
export const DISCLAIMER = "DO NOT EDIT - This resource is managed by Kyma.\n" +
  "Any modifications are discarded and the resource is reverted to the original state.";

/** The module version in `app.kubernetes.io/version` when the build does not set one. */
export const DEFAULT_MODULE_VERSION = "dev";

/** The five standard operator labels plus the module label (§6). */
export function operatorLabels(version: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "api-gateway-operator",
    "app.kubernetes.io/instance": "api-gateway-operator-default",
    "app.kubernetes.io/version": version,
    "app.kubernetes.io/component": "operator",
    "app.kubernetes.io/part-of": MODULE,
    [MODULE_LABEL]: MODULE,
  };
}

/**
 * Metadata of a managed object (§6): the template labels plus the module label, the disclaimer
 * plus the template annotations. `namespace` is `""` for cluster-scoped objects.
 */
export function managedMeta(
  name: string,
  namespace: string,
  options: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): ObjectMeta {
  return {
    name,
    ...(namespace === "" ? {} : { namespace }),
    labels: { ...options.labels, [MODULE_LABEL]: MODULE },
    annotations: { ...options.annotations, [DISCLAIMER_ANNOTATION]: DISCLAIMER },
  };
}

/** The identity of an object to delete: apiVersion, kind, name and namespace only. */
export function reference(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
): KubeObject {
  return { apiVersion, kind, metadata: namespace === "" ? { name } : { name, namespace } };
}
