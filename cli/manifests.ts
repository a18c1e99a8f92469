/**
 * `apigw manifests`: everything to install apigw with `kubectl apply -f -` — namespace, CRDs,
 * RBAC (cli/manifests_rbac.ts), the operator Deployment with its PriorityClass and
 * PodDisruptionBudget, the webhook and metrics Services (docs/spec/operator-config.md §7), and the
 * `apigw authz` service (proxy/manifests.ts), and the admission webhook configurations
 * (docs/webhooks.md). `--extension-provider` prints the Istio mesh config that points Envoy at
 * the authz service instead (`--grpc`: its gRPC ext_authz port).
 */
import { crdObject, CRDS, WEBHOOK_PORT, WEBHOOK_SERVICE } from "../api/crds.ts";
import { SHIPPED_IMAGES } from "../core/apigateway/oathkeeper_deployment.ts";
import { HELP_OPTION, type Result } from "../config.ts";
import { type Command, EXIT_OK, EXIT_USAGE, usageError } from "./command.ts";
import { rbacObjects, SERVICE_ACCOUNT } from "./manifests_rbac.ts";
import { toJsonList, toYaml } from "./output.ts";
import { authzManifests, extensionProvider, kymaAuthorizer } from "../proxy/manifests.ts";
import { GRPC_PROVIDER_NAME, grpcExtensionProvider } from "../proxy/grpc/manifests.ts";
import {
  mutatingWebhookConfiguration,
  operatorUsername,
  validatingWebhookConfiguration,
} from "../api/webhook_configurations.ts";
import { APIGW_VERSION, DEFAULT_IMAGE } from "./version.ts";
import { commandOptions, fileOption, OBJECT_OUTPUT_OPTION } from "./options.ts";
import { readInputs } from "./input.ts";
import { compilePolicyIndex, type PolicyIndex } from "../core/authz/policy_index.ts";
import { compileGlobalLimits, type GlobalLimit } from "../core/ratelimit/global.ts";

const NAMESPACE = "kyma-system";
const DEPLOYMENT = "api-gateway-controller-manager";
const PRIORITY_CLASS = "api-gateway-priority-class";
const SELECTOR = { "control-plane": "controller-manager" };

const OPTIONS = {
  help: HELP_OPTION,
  image: {
    type: "string",
    help: "Image of the operator (its entrypoint is the apigw binary)",
    default: DEFAULT_IMAGE,
    parse: (raw: string): Result<string, string> =>
      raw === "" ? { ok: false, error: "must not be empty" } : { ok: true, value: raw },
  },
  replicas: {
    type: "string",
    help: "Operator replicas (one leads, the others stand by)",
    default: "1",
    parse: (raw: string): Result<number, string> =>
      /^[1-9]\d*$/.test(raw)
        ? { ok: true, value: Number(raw) }
        : { ok: false, error: `"${raw}" is not a positive integer` },
  },
  "authz-replicas": {
    type: "string",
    help: "Replicas of the apigw authz Deployment (0 leaves the authz service out)",
    default: "2",
    parse: (raw: string): Result<number, string> =>
      /^(0|[1-9]\d*)$/.test(raw)
        ? { ok: true, value: Number(raw) }
        : { ok: false, error: `"${raw}" is not a non-negative integer` },
  },
  "rls-configmap": {
    type: "string",
    help:
      "Serve the gRPC rate limit service from apigw authz with the envoyproxy/ratelimit config in this ConfigMap (authz namespace)",
    parse: (raw: string): Result<string, string> =>
      /^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(raw)
        ? { ok: true, value: raw }
        : { ok: false, error: `"${raw}" is not a ConfigMap name` },
  },
  "extension-provider": {
    type: "boolean",
    help: "Print the Istio extension provider for apigw authz (meshConfig and Kyma Istio CR forms)",
  },
  grpc: {
    type: "boolean",
    help:
      "With --extension-provider: also the envoyExtAuthzGrpc provider apigw-authz-grpc (port 9191) and the api-gateway-config that makes rendered policies name it",
  },
  file: fileOption(
    "With --extension-provider: APIRules and RateLimits whose headers the provider must pass",
  ),
  output: OBJECT_OUTPUT_OPTION,
} as const;

export interface ManifestOptions {
  image: string;
  replicas: number;
  /** Replicas of `apigw authz`; 0 or absent leaves its objects out. */
  authzReplicas?: number;
  /** ConfigMap of the authz service's gRPC rate limit service; absent leaves it off. */
  rlsConfigMap?: string | undefined;
  version?: string;
}

export const manifestsCommand: Command = {
  name: "manifests",
  summary: "Print the manifests that install apigw (kubectl apply -f -)",
  usage:
    "manifests [--image IMAGE] [--replicas N] [--authz-replicas N] [--extension-provider [--grpc] [-f FILE…]] [-o yaml|json]",
  options: OPTIONS,
  async run(args, io) {
    const parsed = commandOptions(manifestsCommand, OPTIONS, args, io);
    if ("exit" in parsed) return parsed.exit;
    const options = parsed.options;
    if (options.file.length > 0 && !options["extension-provider"]) {
      return usageError(manifestsCommand, ["-f FILE is only read with --extension-provider"], io);
    }
    if (options.grpc && !options["extension-provider"]) {
      return usageError(manifestsCommand, ["--grpc is only read with --extension-provider"], io);
    }
    if (options["extension-provider"]) {
      let index: PolicyIndex | undefined;
      let globalLimits: readonly GlobalLimit[] = [];
      if (options.file.length > 0) {
        const read = await readInputs(options.file);
        if (!read.ok) {
          io.stderr(`apigw manifests: ${read.error}\n`);
          return EXIT_USAGE;
        }
        const compiled = compilePolicyIndex(read.objects.map((o) => o.value), {
          providerName: "apigw-authz",
        });
        for (const problem of compiled.problems) {
          io.stderr(`note: skipped ${problem.object}: ${problem.message}\n`);
        }
        index = compiled.index;
        const global = compileGlobalLimits(read.objects.map((o) => o.value));
        for (const problem of global.problems) {
          io.stderr(`note: skipped ${problem.object}: ${problem.message}\n`);
        }
        globalLimits = global.limits;
      }
      const authz = {
        image: options.image,
        ...(index !== undefined ? { index } : {}),
        globalLimits,
      };
      const providers = [extensionProvider(authz)];
      if (options.grpc) providers.push(grpcExtensionProvider({}));
      const snippet = {
        meshConfig: { extensionProviders: providers },
        // The Kyma Istio CR's authorizers are HTTP providers only.
        kymaIstio: { spec: { config: { authorizers: [kymaAuthorizer(authz)] } } },
        // Rendered CUSTOM policies (jwtHandler apigw, RateLimit spec.global) name the gRPC one.
        ...(options.grpc
          ? { apiGatewayConfig: { jwtHandler: "apigw", apigwProvider: GRPC_PROVIDER_NAME } }
          : {}),
      };
      io.stdout(
        options.output === "json" ? `${JSON.stringify(snippet, null, 2)}\n` : toYaml([snippet]),
      );
      return EXIT_OK;
    }
    const objects = operatorManifests({
      image: options.image,
      replicas: options.replicas,
      authzReplicas: options["authz-replicas"],
      rlsConfigMap: options["rls-configmap"],
    });
    io.stdout(options.output === "json" ? toJsonList(objects) : toYaml(objects));
    return EXIT_OK;
  },
};

/** Every object of an apigw installation, in apply order. */
export function operatorManifests(options: ManifestOptions): Record<string, unknown>[] {
  const version = options.version ?? APIGW_VERSION;
  const labels = (component: string) => ({
    "kyma-project.io/module": "api-gateway",
    "app.kubernetes.io/name": "api-gateway-operator",
    "app.kubernetes.io/instance": "api-gateway-operator-default",
    "app.kubernetes.io/version": version,
    "app.kubernetes.io/part-of": "api-gateway",
    "app.kubernetes.io/component": component,
  });
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NAMESPACE, labels: { "kyma-project.io/module": "api-gateway" } },
    },
    ...CRDS.map((definition) => crdObject(definition)),
    {
      apiVersion: "scheduling.k8s.io/v1",
      kind: "PriorityClass",
      metadata: { name: PRIORITY_CLASS, labels: labels("operator") },
      value: 2100000,
      description: "Scheduling priority of the API Gateway module's pods",
    },
    ...rbacObjects(NAMESPACE),
    service(WEBHOOK_SERVICE, { name: "https-webhook", port: WEBHOOK_PORT }, labels("webhook")),
    service(
      "api-gateway-operator-metrics",
      { name: "http-metrics", port: 8080 },
      labels("operator"),
    ),
    deployment(options, labels("api-gateway-operator.kyma-project.io")),
    // After the Deployment: the webhooks answer once the operator serves them (failurePolicy Fail).
    validatingWebhookConfiguration({ service: true }, {
      operatorUser: operatorUsername(NAMESPACE, SERVICE_ACCOUNT),
      labels: labels("webhook"),
    }),
    mutatingWebhookConfiguration({ service: true }, { labels: labels("webhook") }),
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: DEPLOYMENT, namespace: NAMESPACE, labels: labels("operator") },
      // One replica may always go: a drain never blocks, and with several replicas a standby
      // takes over the Lease.
      spec: { maxUnavailable: 1, selector: { matchLabels: SELECTOR } },
    },
    ...(options.authzReplicas
      ? authzManifests({
        image: options.image,
        namespace: NAMESPACE,
        replicas: options.authzReplicas,
        ...(options.rlsConfigMap !== undefined ? { rlsConfigMap: options.rlsConfigMap } : {}),
      })
      : []),
  ];
}

function service(
  name: string,
  port: { name: string; port: number },
  labels: Record<string, string>,
): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: NAMESPACE, labels },
    spec: {
      selector: SELECTOR,
      ports: [{ name: port.name, port: port.port, targetPort: port.port, protocol: "TCP" }],
    },
  };
}

function deployment(
  options: ManifestOptions,
  labels: Record<string, string>,
): Record<string, unknown> {
  const hardening = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
  };
  const fieldEnv = (name: string, fieldPath: string) => ({
    name,
    valueFrom: { fieldRef: { fieldPath } },
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: DEPLOYMENT,
      namespace: NAMESPACE,
      labels: { ...labels, ...SELECTOR },
    },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: SELECTOR },
      template: {
        metadata: {
          labels: { ...labels, ...SELECTOR },
          annotations: { "sidecar.istio.io/inject": "false" },
        },
        spec: {
          serviceAccountName: SERVICE_ACCOUNT,
          priorityClassName: PRIORITY_CLASS,
          terminationGracePeriodSeconds: 10,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [{
            name: "manager",
            image: options.image,
            args: [
              "operator",
              "--leader-elect",
              "--metrics-bind-address=:8080",
              "--health-probe-bind-address=:8081",
              `--webhook-listen=:${WEBHOOK_PORT}`,
            ],
            env: [
              fieldEnv("POD_NAME", "metadata.name"),
              fieldEnv("POD_NAMESPACE", "metadata.namespace"),
              { name: "oathkeeper", value: SHIPPED_IMAGES.oathkeeper },
              { name: "oathkeeper-maester", value: SHIPPED_IMAGES.maester },
              { name: "busybox", value: SHIPPED_IMAGES.busybox },
            ],
            ports: [
              { name: "metrics", containerPort: 8080, protocol: "TCP" },
              { name: "probes", containerPort: 8081, protocol: "TCP" },
              { name: "webhook", containerPort: WEBHOOK_PORT, protocol: "TCP" },
            ],
            livenessProbe: {
              httpGet: { path: "/healthz", port: 8081 },
              initialDelaySeconds: 15,
              periodSeconds: 20,
            },
            readinessProbe: {
              httpGet: { path: "/readyz", port: 8081 },
              initialDelaySeconds: 5,
              periodSeconds: 10,
            },
            resources: {
              requests: { cpu: "10m", memory: "128Mi" },
              limits: { cpu: "500m", memory: "512Mi" },
            },
            securityContext: hardening,
          }],
        },
      },
    },
  };
}
