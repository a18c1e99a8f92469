/**
 * The objects that run `apigw authz` in a cluster, for `apigw manifests`: ServiceAccount,
 * ClusterRole (+ binding) to watch APIRules and Gateways, Deployment and Service (HTTP and gRPC
 * ext_authz ports), plus the Istio extension provider that points Envoy at it (mesh config and
 * the Kyma Istio CR form; the gRPC provider is proxy/grpc/manifests.ts).
 */
import type { PolicyIndex } from "../core/authz/policy_index.ts";
import type { GlobalLimit } from "../core/ratelimit/global.ts";
import { checkHeaders, mutatorHeaders } from "./check_headers.ts";
import { RLS_PORT, rlsArgs, rlsRbac } from "./rls/manifests.ts";
import { GRPC_AUTHZ_PORT, grpcAuthzArgs, grpcAuthzServicePort } from "./grpc/manifests.ts";

export { checkHeaders, mutatorHeaders };

export interface AuthzManifestOptions {
  image: string;
  namespace?: string;
  name?: string;
  /** The mesh extension provider name; extAuth `authorizers` name it. */
  providerName?: string;
  replicas?: number;
  /** The rules the provider will check: custom token headers are added to the check headers. */
  index?: PolicyIndex;
  /**
   * The RateLimit `spec.global` limits the provider will enforce: the headers their keys and
   * buckets read are added to the check headers (without them a header key would silently fall
   * back to the client address).
   */
  globalLimits?: readonly GlobalLimit[];
  /** Serve the gRPC rate limit service with the config of this ConfigMap (same namespace). */
  rlsConfigMap?: string;
}

const PORT = 8080;

/**
 * V8 flags of the data plane (`apigw authz` here, `apigw serve` in `deno task start`): a 4 MiB
 * semi-space instead of V8's 16 MiB keeps the young generation from adding ~90 MiB of RSS under
 * load, at no throughput cost measured (bench/README.md "serve", `--v8-flags`).
 */
export const DATA_PLANE_V8_FLAGS = "--max-semi-space-size=4";
/** DP-RL-1: the RateLimit fields reach the client on allow only when listed. */
const DOWNSTREAM_ON_ALLOW = ["ratelimit", "ratelimit-policy"];
const DOWNSTREAM_ON_DENY = [
  "www-authenticate",
  "content-type",
  "cache-control",
  "retry-after",
  ...DOWNSTREAM_ON_ALLOW,
];
const MANAGEMENT_PORT = 9091;

/** Every object of the authz service, in apply order. */
export function authzManifests(options: AuthzManifestOptions): Record<string, unknown>[] {
  const namespace = options.namespace ?? "kyma-system";
  const name = options.name ?? "apigw-authz";
  const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "apigw" };
  const rls = options.rlsConfigMap === undefined
    ? undefined
    : { namespace, name, labels, configMap: options.rlsConfigMap };
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace, labels } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name, labels },
      rules: [
        {
          apiGroups: ["gateway.kyma-project.io"],
          resources: ["apirules"],
          verbs: ["get", "list", "watch"],
        },
        {
          apiGroups: ["networking.istio.io"],
          resources: ["gateways"],
          verbs: ["get", "list", "watch"],
        },
        // RateLimit spec.global: the limits, and the Pods whose addresses checks come from.
        {
          apiGroups: ["gateway.kyma-project.io"],
          resources: ["ratelimits"],
          verbs: ["get", "list", "watch"],
        },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
    ...(rls !== undefined ? rlsRbac(rls) : []),
    deployment(options, { name, namespace, labels }),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace, labels },
      spec: {
        selector: labels,
        ports: [
          { name: "http-authz", port: PORT, targetPort: "authz", appProtocol: "http" },
          // Backends fetch the id_token JWKS here (/.well-known/jwks.json).
          {
            name: "http-management",
            port: MANAGEMENT_PORT,
            targetPort: "management",
            appProtocol: "http",
          },
          grpcAuthzServicePort(),
          ...(rls !== undefined
            ? [{ name: "grpc-rls", port: RLS_PORT, targetPort: "rls", appProtocol: "grpc" }]
            : []),
        ],
      },
    },
  ];
}

function deployment(
  options: AuthzManifestOptions,
  meta: { name: string; namespace: string; labels: Record<string, string> },
): Record<string, unknown> {
  const probe = (path: string) => ({
    httpGet: { path, port: "management" },
    periodSeconds: 10,
    timeoutSeconds: 2,
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta,
    spec: {
      replicas: options.replicas ?? 2,
      selector: { matchLabels: meta.labels },
      template: {
        metadata: { labels: meta.labels, annotations: { "sidecar.istio.io/inject": "false" } },
        spec: {
          serviceAccountName: meta.name,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [{
            name: "authz",
            image: options.image,
            args: [
              "authz",
              "--listen",
              `0.0.0.0:${PORT}`,
              "--management-listen",
              `0.0.0.0:${MANAGEMENT_PORT}`,
              "--provider-name",
              options.providerName ?? "apigw-authz",
              ...grpcAuthzArgs(),
              ...(options.rlsConfigMap !== undefined
                ? rlsArgs({ ...meta, configMap: options.rlsConfigMap })
                : []),
            ],
            // Read by Deno at startup (the image's entrypoint is shared with the operator).
            env: [{ name: "DENO_V8_FLAGS", value: DATA_PLANE_V8_FLAGS }],
            ports: [
              { name: "authz", containerPort: PORT },
              { name: "management", containerPort: MANAGEMENT_PORT },
              { name: "grpc-authz", containerPort: GRPC_AUTHZ_PORT },
              ...(options.rlsConfigMap !== undefined
                ? [{ name: "rls", containerPort: RLS_PORT }]
                : []),
            ],
            livenessProbe: probe("/healthz"),
            readinessProbe: probe("/readyz"),
            resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
            },
          }],
        },
      },
    },
  };
}

/**
 * The `meshConfig.extensionProviders[]` entry (Istio `envoyExtAuthzHttp`): an explicit 1 s timeout
 * instead of Istio's 600 s, `statusOnError: "503"` so "authz down" differs from "denied"
 * (DP-AUTHZ-6), and the check headers the rules need (DP-AUTHZ-3).
 */
export function extensionProvider(options: AuthzManifestOptions): Record<string, unknown> {
  const namespace = options.namespace ?? "kyma-system";
  const name = options.name ?? "apigw-authz";
  return {
    name: options.providerName ?? "apigw-authz",
    envoyExtAuthzHttp: {
      service: `${name}.${namespace}.svc.cluster.local`,
      port: PORT,
      timeout: "1s",
      statusOnError: "503",
      includeRequestHeadersInCheck: checkHeaders(options.index, options.globalLimits),
      ...upstreamOnAllow(options.index, (names) => ({ headersToUpstreamOnAllow: names })),
      headersToDownstreamOnDeny: [...DOWNSTREAM_ON_DENY],
      headersToDownstreamOnAllow: [...DOWNSTREAM_ON_ALLOW],
    },
  };
}

/** The same provider as a Kyma Istio CR `spec.config.authorizers[]` entry. */
export function kymaAuthorizer(options: AuthzManifestOptions): Record<string, unknown> {
  const namespace = options.namespace ?? "kyma-system";
  return {
    name: options.providerName ?? "apigw-authz",
    service: `${options.name ?? "apigw-authz"}.${namespace}.svc.cluster.local`,
    port: PORT,
    headers: {
      inCheck: { include: checkHeaders(options.index, options.globalLimits) },
      ...upstreamOnAllow(options.index, (names) => ({ toUpstream: { onAllow: names } })),
      toDownstream: { onDeny: [...DOWNSTREAM_ON_DENY], onAllow: [...DOWNSTREAM_ON_ALLOW] },
    },
  };
}

function upstreamOnAllow<T>(
  index: PolicyIndex | undefined,
  shape: (names: string[]) => T,
): T | Record<string, never> {
  const names = mutatorHeaders(index);
  return names.length > 0 ? shape(names) : {};
}
