/**
 * The operator's RBAC, least privilege (docs/spec/operator-config.md §8, weak spot taken): cluster-wide
 * only what APIRules and RateLimits in any namespace need (their CRs, the Services and Pods they
 * select, the Istio and Oathkeeper objects they own), and everything the APIGateway installs in
 * `kyma-system`, `istio-system` and `kube-system` through Roles there. Writes to cluster-scoped
 * objects are limited by name wherever the API allows it; `create` cannot be.
 */

const CREATE_OR_EDIT = ["get", "list", "watch", "create", "update", "patch", "delete"];
const READ = ["get", "list", "watch"];
const MODULE_LABELS = {
  "kyma-project.io/module": "api-gateway",
  "app.kubernetes.io/name": "api-gateway-operator",
  "app.kubernetes.io/instance": "api-gateway-operator-default",
  "app.kubernetes.io/part-of": "api-gateway",
};

/** Names of the RBAC objects (upstream's, decision 8). */
export const SERVICE_ACCOUNT = "api-gateway-controller-manager";
export const MANAGER_ROLE = "api-gateway-manager-role";
export const MANAGER_BINDING = "api-gateway-manager-rolebinding";
export const LEADER_ROLE = "api-gateway-leader-election-role";
export const LEADER_BINDING = "api-gateway-leader-election-rolebinding";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

function rule(group: string, resources: string[], verbs: string[], names?: string[]): Rule {
  return {
    apiGroups: [group],
    resources,
    verbs,
    ...(names === undefined ? {} : { resourceNames: names }),
  };
}

/** Cluster-wide permissions. */
const CLUSTER_RULES: Rule[] = [
  rule("gateway.kyma-project.io", ["apirules", "ratelimits"], [
    "get",
    "list",
    "watch",
    "update",
    "patch",
  ]),
  rule("gateway.kyma-project.io", ["apirules/status", "ratelimits/status"], [
    "get",
    "update",
    "patch",
  ]),
  rule("gateway.kyma-project.io", ["apirules/finalizers", "ratelimits/finalizers"], ["update"]),
  rule("operator.kyma-project.io", ["apigateways"], ["get", "list", "watch", "update", "patch"]),
  rule("operator.kyma-project.io", ["apigateways/status"], ["get", "update", "patch"]),
  rule("operator.kyma-project.io", ["apigateways/finalizers"], ["update"]),
  rule("", ["services", "pods", "nodes"], READ),
  // Events on APIRules and RateLimits in any namespace, on APIGateways in `default`.
  rule("", ["events"], ["create", "patch"]),
  rule("networking.istio.io", ["virtualservices", "envoyfilters"], CREATE_OR_EDIT),
  rule("networking.istio.io", ["gateways"], READ),
  rule("security.istio.io", ["authorizationpolicies", "requestauthentications"], CREATE_OR_EDIT),
  // deletecollection: the maester ClusterRole grants it, and RBAC lets only holders grant.
  rule("oathkeeper.ory.sh", ["rules"], [...CREATE_OR_EDIT, "deletecollection"]),
  rule("apiextensions.k8s.io", ["customresourcedefinitions"], [...READ, "create"]),
  rule("apiextensions.k8s.io", ["customresourcedefinitions"], ["update", "patch", "delete"], [
    "rules.oathkeeper.ory.sh",
  ]),
  // The webhook certificate controller injects its CA bundle here (docs/spec/certificate.md §5).
  rule("apiextensions.k8s.io", ["customresourcedefinitions"], ["patch"], [
    "apirules.gateway.kyma-project.io",
  ]),
  rule(
    "admissionregistration.k8s.io",
    ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
    ["get", "list", "watch", "patch"],
    ["api-gateway-mutating-webhook-configuration", "api-gateway-validating-webhook-configuration"],
  ),
  rule("rbac.authorization.k8s.io", ["clusterroles", "clusterrolebindings"], ["create"]),
  rule("rbac.authorization.k8s.io", ["clusterroles"], ["get", "update", "patch", "delete"], [
    "oathkeeper-maester-role",
  ]),
  rule("rbac.authorization.k8s.io", ["clusterrolebindings"], ["get", "update", "patch", "delete"], [
    "oathkeeper-maester-role-binding",
  ]),
];

/** Per namespace: what the APIGateway installs or reads there. */
const NAMESPACE_RULES: Record<string, Rule[]> = {
  "kyma-system": [
    rule("", ["configmaps", "secrets", "serviceaccounts", "services"], CREATE_OR_EDIT),
    rule("apps", ["deployments"], CREATE_OR_EDIT),
    rule("autoscaling", ["horizontalpodautoscalers"], CREATE_OR_EDIT),
    rule("policy", ["poddisruptionbudgets"], CREATE_OR_EDIT),
    rule("networking.k8s.io", ["networkpolicies"], CREATE_OR_EDIT),
    rule("networking.istio.io", ["gateways"], CREATE_OR_EDIT),
    rule("security.istio.io", ["peerauthentications"], CREATE_OR_EDIT),
    rule("dns.gardener.cloud", ["dnsentries"], CREATE_OR_EDIT),
    rule("autoscaling.k8s.io", ["verticalpodautoscalers"], CREATE_OR_EDIT),
    rule("autoscaling.k8s.io", ["verticalpodautoscalercheckpoints"], [...READ, "patch"]),
  ],
  "istio-system": [
    rule("", ["secrets"], CREATE_OR_EDIT),
    rule("", ["configmaps"], READ),
    rule("cert.gardener.cloud", ["certificates"], CREATE_OR_EDIT),
  ],
  "kube-system": [rule("", ["configmaps"], READ)],
};

/** ServiceAccount, ClusterRole and Roles with their bindings, and the user-facing roles. */
export function rbacObjects(namespace: string): Record<string, unknown>[] {
  const subject = { kind: "ServiceAccount", name: SERVICE_ACCOUNT, namespace };
  const meta = (name: string, ns?: string) => ({
    name,
    ...(ns === undefined ? {} : { namespace: ns }),
    labels: { ...MODULE_LABELS, "app.kubernetes.io/component": "operator" },
  });
  const roles = Object.entries(NAMESPACE_RULES).flatMap(([ns, rules]) => [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: meta(MANAGER_ROLE, ns),
      rules,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta(MANAGER_BINDING, ns),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: MANAGER_ROLE },
      subjects: [subject],
    },
  ]);
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(SERVICE_ACCOUNT, namespace) },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: meta(MANAGER_ROLE),
      rules: CLUSTER_RULES,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: meta(MANAGER_BINDING),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: MANAGER_ROLE },
      subjects: [subject],
    },
    ...roles,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: meta(LEADER_ROLE, namespace),
      rules: [
        rule("coordination.k8s.io", ["leases"], CREATE_OR_EDIT),
        rule("", ["events"], ["create", "patch"]),
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta(LEADER_BINDING, namespace),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: LEADER_ROLE },
      subjects: [subject],
    },
    ...userRoles(),
  ];
}

/** `kyma-api-gateway-view/edit/admin`, aggregated to the built-in roles (docs/spec/operator-config.md §8). */
function userRoles(): Record<string, unknown>[] {
  const resources = ["apirules", "ratelimits"];
  const view = [
    rule("gateway.kyma-project.io", resources, READ),
    rule("operator.kyma-project.io", ["apigateways"], READ),
    rule("gateway.kyma-project.io", ["apirules/status", "ratelimits/status"], ["get"]),
    rule("operator.kyma-project.io", ["apigateways/status"], ["get"]),
  ];
  const edit = [
    rule("gateway.kyma-project.io", resources, [...CREATE_OR_EDIT, "deletecollection"]),
    rule("operator.kyma-project.io", ["apigateways"], [...CREATE_OR_EDIT, "deletecollection"]),
    ...view.slice(2),
  ];
  return [["view", view], ["edit", edit], ["admin", edit]].map(([name, rules]) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: {
      name: `kyma-api-gateway-${name}`,
      labels: { ...MODULE_LABELS, [`rbac.authorization.k8s.io/aggregate-to-${name}`]: "true" },
    },
    rules,
  }));
}
