/**
 * The validation facts of a snapshot, read defensively, with `complete: true` (a snapshot is the
 * whole cluster): every Gateway, APIGateway and RateLimit it holds, and an index for Services by
 * name, Pods by namespace and VirtualServices by host (the kinds a cluster has thousands of).
 */
import type { ValidationFacts } from "../api/validation/facts.ts";
import type { KubeObject } from "../api/meta.ts";
import { list, readGateway, readSelector, record, stringMap } from "./istio/read.ts";
import type { Snapshot, SnapshotIndex } from "./snapshot.ts";

/**
 * Facts for the semantic checks, from the whole snapshot. Each object's facts are kept per object
 * (by identity), Gateways' also per list: the operator's cache hands out the same list until its
 * store changes and the same object until it changes. Services, Pods and VirtualServices are read
 * through the index, a few per reconcile: a reconcile storm over 10 000 APIRules, each of which
 * writes a VirtualService, does not read 10 000 VirtualServices after each write.
 */
export function factsOf(snapshot: Snapshot): ValidationFacts {
  const mesh = snapshot.get("", "ConfigMap", "istio-system", "istio");
  return {
    complete: true,
    index: {
      service(namespace, name) {
        const service = snapshot.get("", "Service", namespace, name);
        return service === undefined ? undefined : factOf(SERVICES, service, serviceFact);
      },
      podsIn: (namespace) =>
        snapshot.list("", "Pod", namespace).map((o) => factOf(PODS, o, podFact)),
      virtualServicesWithHost: (host) =>
        snapshot.byIndex("networking.istio.io", "VirtualService", HOST_INDEX, host).map((o) =>
          factOf(VIRTUAL_SERVICES, o, virtualServiceFact)
        ),
    },
    gateways: memo(GATEWAYS, snapshot.list("networking.istio.io", "Gateway"), (o) => ({
      ...ref(o),
      servers: (readGateway(o).spec?.servers ?? []).map((s) => ({
        hosts: s.hosts ?? [],
        ...(s.port?.protocol !== undefined ? { protocol: s.port.protocol } : {}),
      })),
    })),
    externalGateways: snapshot.list("gateway.kyma-project.io", "ExternalGateway").map(ref),
    istioMeshConfigMap: mesh === undefined ? null : { data: stringMap(mesh.data) },
    apiGateways: snapshot.list("operator.kyma-project.io", "APIGateway").map((o) => ({
      name: o.metadata.name ?? "",
      ...(o.metadata.creationTimestamp !== undefined
        ? { creationTimestamp: o.metadata.creationTimestamp }
        : {}),
    })),
    // A RateLimit without a readable selector (the schema requires one) selects nothing.
    rateLimits: snapshot.list("gateway.kyma-project.io", "RateLimit").map((o) => ({
      ...ref(o),
      selectorLabels: stringMap(record(o.spec)?.selectorLabels),
    })).filter((r) => Object.keys(r.selectorLabels).length > 0),
  };
}

/** Files a VirtualService under each host it serves (host occupancy checks read one host). */
export const HOST_INDEX: SnapshotIndex = { name: "virtualservice-host", keys: hostsOf };

function hostsOf(o: KubeObject): string[] {
  return list(record(o.spec)?.hosts).filter((h): h is string => typeof h === "string");
}

function serviceFact(o: KubeObject): FactOf<"services"> {
  return { ...ref(o), selector: readSelector(o) };
}

function podFact(o: KubeObject): FactOf<"pods"> {
  const spec = record(o.spec);
  return {
    ...ref(o),
    labels: o.metadata.labels ?? {},
    annotations: o.metadata.annotations ?? {},
    containers: names(spec?.containers),
    initContainers: names(spec?.initContainers),
  };
}

function virtualServiceFact(o: KubeObject): FactOf<"virtualServices"> {
  return { ...ref(o), hosts: hostsOf(o), labels: o.metadata.labels ?? {} };
}

type Facts = ValidationFacts;
type FactOf<K extends "services" | "pods" | "gateways" | "virtualServices"> = NonNullable<
  Facts[K]
>[number];

/** Facts kept per list (by identity) and per object (by identity). */
interface Memo<T> {
  lists: WeakMap<readonly KubeObject[], readonly T[]>;
  objects: WeakMap<KubeObject, T>;
}

function newMemo<T>(): Memo<T> {
  return { lists: new WeakMap(), objects: new WeakMap() };
}

const SERVICES = newMemo<FactOf<"services">>();
const PODS = newMemo<FactOf<"pods">>();
const GATEWAYS = newMemo<FactOf<"gateways">>();
const VIRTUAL_SERVICES = newMemo<FactOf<"virtualServices">>();

/**
 * `list.map(read)`, computed once per list, and each object read once: when one object of a
 * list of 10 000 changed, the new list reuses the 9 999 facts read before.
 */
function memo<T>(
  cache: Memo<T>,
  list: readonly KubeObject[],
  read: (object: KubeObject) => T,
): readonly T[] {
  let facts = cache.lists.get(list);
  if (facts === undefined) {
    facts = list.map((object) => factOf(cache, object, read));
    cache.lists.set(list, facts);
  }
  return facts;
}

/** `read(object)`, once per object. */
function factOf<T>(cache: Memo<T>, object: KubeObject, read: (object: KubeObject) => T): T {
  let fact = cache.objects.get(object);
  if (fact === undefined) {
    fact = read(object);
    cache.objects.set(object, fact);
  }
  return fact;
}

function ref(o: KubeObject): { namespace: string; name: string } {
  return {
    namespace: o.metadata.namespace ?? "",
    name: o.metadata.name ?? o.metadata.generateName ?? "",
  };
}

function names(value: unknown): string[] {
  return list(value).flatMap((c) => {
    const name = record(c)?.name;
    return typeof name === "string" ? [name] : [];
  });
}
