/**
 * The operator's view of the cluster: one informer per kind the planners read (cluster-wide, or
 * narrowed to the few well-known objects of a namespace), a `Snapshot` over their stores for the
 * planners, and write-through of apigw's own writes into the matching store.
 */
import type { KubeObject } from "../api/meta.ts";
import type { Snapshot } from "../core/snapshot.ts";
import { groupOf } from "../core/snapshot.ts";
import type { Logger } from "../lib/log.ts";
import type { KubeClient } from "../kube/client.ts";
import { Informer, type InformerOptions } from "../kube/informer.ts";
import { isRecord } from "../kube/object.ts";
import { resourceType } from "../kube/resources.ts";

export const KYMA_SYSTEM = "kyma-system";

/** What the operator watches. Scopes follow what the planners read (docs/spec/operator-config.md §2). */
export const INFORMERS: readonly InformerOptions[] = [
  { type: resourceType("gateway.kyma-project.io", "APIRule") },
  { type: resourceType("gateway.kyma-project.io", "RateLimit") },
  { type: resourceType("operator.kyma-project.io", "APIGateway") },
  { type: resourceType("", "Service"), transform: slimService },
  { type: resourceType("", "Pod"), transform: slimPod },
  configMap(KYMA_SYSTEM, "api-gateway-config"),
  configMap("kube-system", "shoot-info"),
  configMap("istio-system", "istio"),
  { type: resourceType("networking.istio.io", "Gateway") },
  { type: resourceType("networking.istio.io", "VirtualService") },
  { type: resourceType("networking.istio.io", "EnvoyFilter") },
  { type: resourceType("security.istio.io", "AuthorizationPolicy") },
  { type: resourceType("security.istio.io", "RequestAuthentication") },
  { type: resourceType("oathkeeper.ory.sh", "Rule") },
  { type: resourceType("apiextensions.k8s.io", "CustomResourceDefinition"), metadataOnly: true },
  { type: resourceType("", "Node"), transform: slimNode },
  {
    type: resourceType("apps", "Deployment"),
    namespace: KYMA_SYSTEM,
    fieldSelector: "metadata.name=ory-oathkeeper",
  },
  {
    type: resourceType("autoscaling.k8s.io", "VerticalPodAutoscalerCheckpoint"),
    namespace: KYMA_SYSTEM,
    fieldSelector: "metadata.name=api-gateway-controller-manager-vpa-manager",
  },
  {
    type: resourceType("networking.k8s.io", "NetworkPolicy"),
    namespace: KYMA_SYSTEM,
    labelSelector: "api-gateway.kyma-project.io/managed-by",
  },
];

export class ClusterCache {
  readonly informers: readonly Informer[];
  readonly #byKind = new Map<string, Informer[]>();
  readonly #crds: Informer;

  constructor(client: KubeClient, log: Logger, specs: readonly InformerOptions[] = INFORMERS) {
    this.informers = specs.map((spec) => new Informer(client, spec, log));
    for (const informer of this.informers) {
      const key = kindKey(informer.type.group, informer.type.kind);
      this.#byKind.set(key, [...(this.#byKind.get(key) ?? []), informer]);
    }
    this.#crds = this.informer("apiextensions.k8s.io", "CustomResourceDefinition");
    // A CRD that appears or goes makes its resource's informer look again at once.
    this.#crds.onChange((event) => {
      const name = event.object.metadata.name ?? "";
      for (const informer of this.informers) {
        if (`${informer.type.plural}.${informer.type.group}` === name) informer.poke();
      }
    });
  }

  /** The (first) informer of a group and kind; every kind the controllers use has one. */
  informer(group: string, kind: string): Informer {
    const found = this.#byKind.get(kindKey(group, kind))?.[0];
    if (found === undefined) throw new RangeError(`No informer for kind "${kind}" of "${group}"`);
    return found;
  }

  /** True once every informer completed its first list. */
  get synced(): boolean {
    return this.informers.every((i) => i.synced);
  }

  /** Runs every informer until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.informers.map((i) => i.run(signal)));
  }

  /** Resolves once every informer is synced (or `signal` aborts). */
  async waitSynced(signal: AbortSignal): Promise<void> {
    await Promise.all(this.informers.map((i) => i.waitSynced(signal)));
  }

  /** One object from the cache. */
  get(group: string, kind: string, namespace: string, name: string): KubeObject | undefined {
    for (const informer of this.#byKind.get(kindKey(group, kind)) ?? []) {
      const found = informer.store.get(namespace, name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Whether some informer's scope includes `object` (so its absence from the cache means gone). */
  covers(object: KubeObject): boolean {
    const informers = this.#byKind.get(kindKey(groupOf(object.apiVersion), object.kind)) ?? [];
    return informers.some((informer) => informer.covers(object) && !informer.absent);
  }

  /** Feeds the answer of an own write into the store that covers it. */
  remember(object: KubeObject): void {
    for (
      const informer of this.#byKind.get(kindKey(groupOf(object.apiVersion), object.kind)) ?? []
    ) {
      informer.remember(object);
    }
  }

  /** Records an own delete in the store that covers the object. */
  forget(object: KubeObject): void {
    for (
      const informer of this.#byKind.get(kindKey(groupOf(object.apiVersion), object.kind)) ?? []
    ) {
      informer.forget(object);
    }
  }

  /** A snapshot over the current cache content, for one reconcile. */
  snapshot(): Snapshot {
    return {
      list: (group, kind, namespace) => {
        const informers = this.#byKind.get(kindKey(group, kind)) ?? [];
        if (informers.length === 1) return informers[0]!.store.list(namespace);
        return informers.flatMap((i) => i.store.list(namespace));
      },
      byIndex: (group, kind, index, key) => {
        const informers = this.#byKind.get(kindKey(group, kind)) ?? [];
        if (informers.length === 1) return informers[0]!.store.byIndex(index, key);
        return informers.flatMap((i) => i.store.byIndex(index, key));
      },
      get: (group, kind, namespace, name) => this.get(group, kind, namespace, name),
      hasCRD: (name) => this.#crds.store.get("", name) !== undefined,
    };
  }
}

function kindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

function configMap(namespace: string, name: string): InformerOptions {
  return {
    type: resourceType("", "ConfigMap"),
    namespace,
    fieldSelector: `metadata.name=${name}`,
  };
}

/** Pods as the planners read them: metadata and container names (sidecar checks). */
function slimPod(pod: KubeObject): KubeObject {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const names = (value: unknown) =>
    Array.isArray(value)
      ? value.flatMap((c) => isRecord(c) && typeof c.name === "string" ? [{ name: c.name }] : [])
      : [];
  return {
    apiVersion: pod.apiVersion,
    kind: pod.kind,
    metadata: pod.metadata,
    spec: { containers: names(spec.containers), initContainers: names(spec.initContainers) },
  };
}

/**
 * Services as the planners and triggers read them: the selector (APIRule policies), type, ports
 * and IP families (the ingress gateway's stack) and the load balancer status (its addresses).
 */
export function slimService(service: KubeObject): KubeObject {
  const spec = isRecord(service.spec) ? service.spec : {};
  const status = isRecord(service.status) ? service.status : {};
  const kept: Record<string, unknown> = {};
  for (const field of ["type", "selector", "ports", "ipFamilies", "externalName"]) {
    if (spec[field] !== undefined) kept[field] = spec[field];
  }
  return {
    apiVersion: service.apiVersion,
    kind: service.kind,
    metadata: service.metadata,
    spec: kept,
    ...(isRecord(status.loadBalancer) ? { status: { loadBalancer: status.loadBalancer } } : {}),
  };
}

/** Nodes as the planners read them: capacity only (cluster size). */
function slimNode(node: KubeObject): KubeObject {
  const status = isRecord(node.status) ? node.status : {};
  return {
    apiVersion: node.apiVersion,
    kind: node.kind,
    metadata: node.metadata,
    status: { capacity: isRecord(status.capacity) ? status.capacity : {} },
  };
}
