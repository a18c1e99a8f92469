/** Objects and reads the operator tests share. */
import { isRecord } from "../../kube/object.ts";
import type { TestCluster } from "../cluster/mod.ts";
import { applyAsAdmin } from "./_operator.ts";

export type Json = Record<string, unknown>;

export const APIRULES_V2 = "/apis/gateway.kyma-project.io/v2";
export const ISTIO_NETWORKING = "/apis/networking.istio.io/v1";
export const ISTIO_SECURITY = "/apis/security.istio.io/v1";

/** The Istio Gateway `kyma-system/kyma-gateway` serving `*.<domain>`. */
export function kymaGateway(domain: string): Json {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: "kyma-gateway", namespace: "kyma-system" },
    spec: {
      selector: { istio: "ingressgateway" },
      servers: [{
        port: { number: 443, name: "https", protocol: "HTTPS" },
        hosts: [`*.${domain}`],
        tls: { mode: "SIMPLE", credentialName: "kyma-gateway-certs" },
      }],
    },
  };
}

/** A headless Service (no cluster IP: the test cluster's Service range has only 254). */
export function service(namespace: string, name: string, selector: Record<string, string>): Json {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { clusterIP: "None", selector, ports: [{ name: "http", port: 8000 }] },
  };
}

/** The APIGateway `default` (cluster-scoped, empty spec). */
export const API_GATEWAY: Json = {
  apiVersion: "operator.kyma-project.io/v1alpha1",
  kind: "APIGateway",
  metadata: { name: "default" },
  spec: {},
};

/**
 * A Pod with an injected sidecar (annotation only: the test cluster runs no Pods) and the
 * `default` ServiceAccount its namespace needs for it.
 */
export function sidecarPod(
  namespace: string,
  name: string,
  labels: Record<string, string>,
): Json[] {
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace } },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace,
        labels,
        annotations: { "sidecar.istio.io/status": "{}" },
      },
      spec: { containers: [{ name: "app", image: "example.invalid/app" }] },
    },
  ];
}

/** An APIRule v2 with `noAuth` rules on the given paths (GET). */
export function apiRule(
  namespace: string,
  name: string,
  options: { host: string; service: { name: string; namespace?: string }; paths: string[] },
): Json {
  return {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: { name, namespace },
    spec: {
      hosts: [options.host],
      gateway: "kyma-system/kyma-gateway",
      service: { ...options.service, port: 8000 },
      rules: options.paths.map((path) => ({ path, methods: ["GET"], noAuth: true })),
    },
  };
}

/** Applies objects as the harness; throws on any rejection. */
export async function applyAll(cluster: TestCluster, objects: readonly Json[]): Promise<void> {
  for (const object of objects) {
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    if (typeof metadata.namespace === "string") await cluster.ensureNamespace(metadata.namespace);
    const response = await applyAsAdmin(cluster, object);
    if (response.status >= 300) {
      throw new Error(`Cannot apply ${object.kind} ${metadata.name}: ${response.text}`);
    }
  }
}

/** The items of a list request (an empty list when it failed). */
export async function items(cluster: TestCluster, path: string): Promise<Json[]> {
  const response = await cluster.request("GET", path);
  if (response.status !== 200 || !isRecord(response.json)) return [];
  return Array.isArray(response.json.items) ? response.json.items.filter(isRecord) : [];
}

/** One object, or undefined when it does not exist. */
export async function object(cluster: TestCluster, path: string): Promise<Json | undefined> {
  const response = await cluster.request("GET", path);
  return response.status === 200 && isRecord(response.json) ? response.json : undefined;
}

/** Objects of a collection (all namespaces) owned by the APIRule `namespace/name`. */
export function ownedBy(cluster: TestCluster, collection: string, namespace: string, name: string) {
  const selector = encodeURIComponent(
    `apirule.gateway.kyma-project.io/name=${name},apirule.gateway.kyma-project.io/namespace=${namespace}`,
  );
  return items(cluster, `${collection}?labelSelector=${selector}`);
}

/** The value at a path of a JSON value. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === "number") current = Array.isArray(current) ? current[key] : undefined;
    else current = isRecord(current) ? current[key] : undefined;
  }
  return current;
}

export function meta(value: Json): { name: string; namespace: string; uid: string; rv: string } {
  return {
    name: String(at(value, "metadata", "name") ?? ""),
    namespace: String(at(value, "metadata", "namespace") ?? ""),
    uid: String(at(value, "metadata", "uid") ?? ""),
    rv: String(at(value, "metadata", "resourceVersion") ?? ""),
  };
}
