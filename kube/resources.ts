/**
 * The resource types apigw reads or writes, by API group and kind: plural, scope and the version
 * apigw reads them in. A static table rather than discovery: the operator only ever touches these
 * kinds, and a kind missing here is a bug, not a cluster condition.
 */

export interface ResourceType {
  group: string;
  /** The version lists and watches use (Istio: v1; APIRule: the storage version). */
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

function type(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced = true,
): ResourceType {
  return { group, version, kind, plural, namespaced };
}

const TYPES: readonly ResourceType[] = [
  type("", "v1", "Service", "services"),
  type("", "v1", "Pod", "pods"),
  type("", "v1", "ConfigMap", "configmaps"),
  type("", "v1", "Secret", "secrets"),
  type("", "v1", "ServiceAccount", "serviceaccounts"),
  type("", "v1", "Event", "events"),
  type("", "v1", "Namespace", "namespaces", false),
  type("", "v1", "Node", "nodes", false),
  type("apps", "v1", "Deployment", "deployments"),
  type("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
  type("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets"),
  type("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false),
  type("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false),
  type("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false),
  type("rbac.authorization.k8s.io", "v1", "Role", "roles"),
  type("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
  type("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies"),
  type("coordination.k8s.io", "v1", "Lease", "leases"),
  type(
    "apiextensions.k8s.io",
    "v1",
    "CustomResourceDefinition",
    "customresourcedefinitions",
    false,
  ),
  type(
    "admissionregistration.k8s.io",
    "v1",
    "ValidatingWebhookConfiguration",
    "validatingwebhookconfigurations",
    false,
  ),
  type(
    "admissionregistration.k8s.io",
    "v1",
    "MutatingWebhookConfiguration",
    "mutatingwebhookconfigurations",
    false,
  ),
  type("networking.istio.io", "v1", "VirtualService", "virtualservices"),
  type("networking.istio.io", "v1", "Gateway", "gateways"),
  type("networking.istio.io", "v1alpha3", "EnvoyFilter", "envoyfilters"),
  type("security.istio.io", "v1", "AuthorizationPolicy", "authorizationpolicies"),
  type("security.istio.io", "v1", "RequestAuthentication", "requestauthentications"),
  type("security.istio.io", "v1", "PeerAuthentication", "peerauthentications"),
  type("oathkeeper.ory.sh", "v1alpha1", "Rule", "rules"),
  type("dns.gardener.cloud", "v1alpha1", "DNSEntry", "dnsentries"),
  type("cert.gardener.cloud", "v1alpha1", "Certificate", "certificates"),
  type("autoscaling.k8s.io", "v1", "VerticalPodAutoscaler", "verticalpodautoscalers"),
  type(
    "autoscaling.k8s.io",
    "v1",
    "VerticalPodAutoscalerCheckpoint",
    "verticalpodautoscalercheckpoints",
  ),
  // APIRules are read in the storage version: no conversion webhook call per read or watch event.
  type("gateway.kyma-project.io", "v2alpha1", "APIRule", "apirules"),
  type("gateway.kyma-project.io", "v1alpha1", "RateLimit", "ratelimits"),
  type("operator.kyma-project.io", "v1alpha1", "APIGateway", "apigateways", false),
];

/** Every known resource type. */
export const RESOURCE_TYPES: readonly ResourceType[] = TYPES;

/** The API group of an apiVersion (`""` for the core group). */
export function groupOfApiVersion(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? "" : apiVersion.slice(0, slash);
}

/** The version part of an apiVersion. */
export function versionOfApiVersion(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
}

/** The resource type of a group and kind, or undefined when apigw does not know it. */
export function findResourceType(group: string, kind: string): ResourceType | undefined {
  return TYPES.find((t) => t.group === group && t.kind === kind);
}

/** Like `findResourceType()`, for kinds apigw must know; an unknown kind is a bug. */
export function resourceType(group: string, kind: string): ResourceType {
  const found = findResourceType(group, kind);
  if (found === undefined) {
    throw new RangeError(`Cannot address kind "${kind}" of group "${group}": not in the table`);
  }
  return found;
}

/** `group/version` as in `apiVersion`. */
export function apiVersionOf(type: ResourceType, version = type.version): string {
  return type.group === "" ? version : `${type.group}/${version}`;
}

/**
 * The collection path of a type, e.g. `/apis/networking.istio.io/v1/namespaces/shop/virtualservices`;
 * without a namespace, the cluster-wide (all namespaces) path.
 */
export function collectionPath(
  type: ResourceType,
  options: { namespace?: string | undefined; version?: string } = {},
): string {
  const version = options.version ?? type.version;
  const prefix = type.group === "" ? `/api/${version}` : `/apis/${type.group}/${version}`;
  const scope = type.namespaced && options.namespace !== undefined && options.namespace !== ""
    ? `/namespaces/${encodeURIComponent(options.namespace)}`
    : "";
  return `${prefix}${scope}/${type.plural}`;
}

/** The path of one object. */
export function objectPath(
  type: ResourceType,
  ref: { namespace?: string | undefined; name: string },
  options: { version?: string; subresource?: string } = {},
): string {
  const base = collectionPath(type, {
    namespace: ref.namespace,
    ...(options.version === undefined ? {} : { version: options.version }),
  });
  const sub = options.subresource === undefined ? "" : `/${options.subresource}`;
  return `${base}/${encodeURIComponent(ref.name)}${sub}`;
}
