/**
 * The Oathkeeper Deployment (docs/spec/apigateway.md §8.8): Oathkeeper plus the Maester sidecar that feeds
 * it Rule objects, in a light variant for evaluation clusters and a full one for production.
 */
import type { KubeObject } from "../../api/meta.ts";
import { KYMA_SYSTEM, managedMeta, MODULE, MODULE_LABEL } from "./_meta.ts";
import type { ClusterSize } from "./cluster_size.ts";
import { CONFIG_MAP, JWKS_SECRET } from "./oathkeeper_config.ts";
import { MAESTER_SERVICE_ACCOUNT } from "./oathkeeper_maester.ts";
import { OATHKEEPER, OATHKEEPER_SELECTOR } from "./oathkeeper_services.ts";

/** The three container images (docs/spec/operator-config.md §1.2). */
export interface OathkeeperImages {
  oathkeeper: string;
  maester: string;
  busybox: string;
}

/** The images of the upstream release, for when the operator's image variables are unset. */
export const SHIPPED_IMAGES: OathkeeperImages = {
  oathkeeper: "europe-docker.pkg.dev/kyma-project/prod/external/oryd/oathkeeper:v0.38.25-beta.1",
  maester: "europe-docker.pkg.dev/kyma-project/prod/external/oryd/oathkeeper-maester:v0.1.5",
  busybox: "europe-docker.pkg.dev/kyma-project/prod/external/library/busybox:1.37.0",
};

interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

const RESOURCES: Record<ClusterSize, { oathkeeper: Resources; maester: Resources }> = {
  Evaluation: {
    oathkeeper: {
      requests: { cpu: "10m", memory: "64Mi" },
      limits: { cpu: "100m", memory: "128Mi" },
    },
    maester: { requests: { cpu: "10m", memory: "20Mi" }, limits: { cpu: "100m", memory: "50Mi" } },
  },
  Production: {
    oathkeeper: {
      requests: { cpu: "100m", memory: "64Mi" },
      limits: { cpu: "10", memory: "512Mi" },
    },
    maester: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "400m", memory: "1Gi" } },
  },
};

const DEFAULT_REPLICAS: Record<ClusterSize, number> = { Evaluation: 1, Production: 3 };

/**
 * The Deployment `kyma-system/ory-oathkeeper`. `replicas` is the existing Deployment's count, kept
 * so that the HPA's scaling is not undone; without it the size's default applies (§8.4).
 */
export function oathkeeperDeployment(
  size: ClusterSize,
  options: { images: OathkeeperImages; replicas?: number },
): KubeObject {
  const { images } = options;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: managedMeta(OATHKEEPER, KYMA_SYSTEM, {
      labels: { mode: "sidecar", app: "oathkeeper", ...OATHKEEPER_SELECTOR },
    }),
    spec: {
      replicas: options.replicas ?? DEFAULT_REPLICAS[size],
      selector: { matchLabels: { ...OATHKEEPER_SELECTOR } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: {
            "sidecar.istio.io/inject": "true",
            ...OATHKEEPER_SELECTOR,
            [MODULE_LABEL]: MODULE,
          },
          annotations: { "readiness.status.sidecar.istio.io/initialDelaySeconds": "10" },
        },
        spec: {
          serviceAccount: MAESTER_SERVICE_ACCOUNT,
          serviceAccountName: MAESTER_SERVICE_ACCOUNT,
          priorityClassName: "api-gateway-priority-class",
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          dnsPolicy: "ClusterFirst",
          restartPolicy: "Always",
          ...(size === "Production" ? { affinity: ANTI_AFFINITY } : {}),
          initContainers: [{
            name: "init",
            image: images.busybox,
            imagePullPolicy: "IfNotPresent",
            command: [
              "sh",
              "-c",
              "touch /etc/rules/access-rules.json\nchmod 666 /etc/rules/access-rules.json\n",
            ],
            resources: {},
            securityContext: hardened(65534, 65534),
            volumeMounts: [{ name: "oathkeeper-rules-volume", mountPath: "/etc/rules" }],
          }],
          containers: [oathkeeperContainer(size, images), maesterContainer(size, images)],
          volumes: [
            { name: "oathkeeper-config-volume", configMap: { name: CONFIG_MAP } },
            { name: "oathkeeper-rules-volume", emptyDir: {} },
            { name: "oathkeeper-secrets-volume", secret: { secretName: JWKS_SECRET } },
          ],
        },
      },
    },
  };
}

const ANTI_AFFINITY = {
  podAntiAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: [
      "kubernetes.io/hostname",
      "topology.kubernetes.io/zone",
    ]
      .map((topologyKey) => ({
        weight: 100,
        podAffinityTerm: {
          labelSelector: { matchLabels: { "app.kubernetes.io/name": "oathkeeper" } },
          topologyKey,
        },
      })),
  },
};

function oathkeeperContainer(size: ClusterSize, images: OathkeeperImages): Record<string, unknown> {
  return {
    name: "oathkeeper",
    image: images.oathkeeper,
    imagePullPolicy: "IfNotPresent",
    command: ["oathkeeper", "serve", "--config", "/etc/config/config.yaml"],
    env: [{ name: "MUTATORS_ID_TOKEN_CONFIG_JWKS_URL", value: "file:///etc/secrets/jwks.json" }],
    ports: [
      { name: "http-api", containerPort: 4456, protocol: "TCP" },
      { name: "http-proxy", containerPort: 4455, protocol: "TCP" },
    ],
    livenessProbe: probe("/health/alive", { failureThreshold: 10 }),
    readinessProbe: probe("/health/ready", { initialDelaySeconds: 45, failureThreshold: 40 }),
    startupProbe: probe("/health/alive", { initialDelaySeconds: 45, failureThreshold: 30 }),
    resources: RESOURCES[size].oathkeeper,
    securityContext: hardened(10000, 10001),
    volumeMounts: [
      { name: "oathkeeper-config-volume", mountPath: "/etc/config", readOnly: true },
      { name: "oathkeeper-rules-volume", mountPath: "/etc/rules", readOnly: true },
      { name: "oathkeeper-secrets-volume", mountPath: "/etc/secrets", readOnly: true },
    ],
  };
}

function maesterContainer(size: ClusterSize, images: OathkeeperImages): Record<string, unknown> {
  return {
    name: "oathkeeper-maester",
    image: images.maester,
    imagePullPolicy: "IfNotPresent",
    command: ["/manager"],
    args: [
      "--metrics-addr=0.0.0.0:8080",
      "sidecar",
      "--rulesFilePath=/etc/rules/access-rules.json",
    ],
    env: [{ name: "mutatorsAvailable", value: "noop,id_token,header,cookie,hydrator" }],
    ports: [{ name: "metrics", containerPort: 8080, protocol: "TCP" }],
    resources: RESOURCES[size].maester,
    securityContext: hardened(10010, 10011),
    volumeMounts: [{ name: "oathkeeper-rules-volume", mountPath: "/etc/rules" }],
  };
}

function probe(
  path: string,
  options: { initialDelaySeconds?: number; failureThreshold: number },
): Record<string, unknown> {
  return {
    httpGet: { path, port: "http-api", scheme: "HTTP" },
    ...(options.initialDelaySeconds === undefined
      ? {}
      : { initialDelaySeconds: options.initialDelaySeconds }),
    periodSeconds: 10,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: options.failureThreshold,
  };
}

function hardened(user: number, group: number): Record<string, unknown> {
  return {
    runAsUser: user,
    runAsGroup: group,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    privileged: false,
  };
}
