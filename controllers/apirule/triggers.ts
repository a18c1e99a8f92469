/**
 * Which APIRules to reconcile on which change (docs/spec/apirule-v2.md §16, widened): the APIRule's own
 * spec, annotations, deletion or finalizers; its Services (any event — a Service created after
 * the APIRule counts too) and the Pods they select; its Gateway; VirtualServices sharing a host;
 * objects it owns (a hand edit is reverted); and, for all APIRules, the module and mesh
 * ConfigMaps and the Istio and Oathkeeper CRDs.
 */
import type { KubeObject } from "../../api/meta.ts";
import {
  isOwnedBy,
  LEGACY_OWNER_LABEL,
  OWNER_NAME_LABEL,
  OWNER_NAMESPACE_LABEL,
} from "../../core/apirule/labels.ts";
import { readSelector } from "../../core/istio/read.ts";
import type { WorkQueue } from "../../kube/queue.ts";
import type { StoreEvent } from "../../kube/store.ts";
import { at, changed, crKey, selects, versions } from "../_events.ts";
import type { ClusterCache } from "../cache.ts";
import { DependencyIndex } from "../dependency_index.ts";
import type { EchoFilter } from "../echo.ts";
import { dependencyKeys, hostKeys } from "./dependencies.ts";

const GROUP = "gateway.kyma-project.io";
const ANNOTATIONS = [
  "gateway.kyma-project.io/original-version",
  "gateway.kyma-project.io/v1beta1-spec",
];
const OWNED = [
  ["networking.istio.io", "VirtualService"],
  ["security.istio.io", "AuthorizationPolicy"],
  ["security.istio.io", "RequestAuthentication"],
  ["oathkeeper.ory.sh", "Rule"],
] as const;
/** The module configuration (JWT handler) and the mesh configuration (extAuth providers). */
const CONFIG_MAPS = new Set(["kyma-system/api-gateway-config", "istio-system/istio"]);
const CRDS = new Set([
  "virtualservices.networking.istio.io",
  "authorizationpolicies.security.istio.io",
  "requestauthentications.security.istio.io",
  "rules.oathkeeper.ory.sh",
]);

/** Subscribes the APIRule queue to every informer whose changes an APIRule depends on. */
export function watchAPIRuleTriggers(
  cache: ClusterCache,
  queue: WorkQueue,
  echo: EchoFilter,
): void {
  const index = new DependencyIndex();
  const apiRules = cache.informer(GROUP, "APIRule");
  const legacy = new Map<string, string>();
  const addAll = () => {
    for (const rule of apiRules.store.list()) queue.add(crKey(rule));
  };
  const addKeys = (keys: Iterable<string>) => {
    for (const key of index.dependents(keys)) queue.add(key);
  };

  apiRules.onChange((event) => {
    const key = crKey(event.object);
    const legacyValue = `${event.object.metadata.name ?? ""}.${
      event.object.metadata.namespace ?? ""
    }`;
    if (event.type === "deleted") {
      index.set(key, []);
      legacy.delete(legacyValue);
    } else {
      index.set(key, dependencyKeys(event.object));
      legacy.set(legacyValue, key);
    }
    if (
      event.type !== "modified" || generation(event.object) !== generation(event.old) ||
      changed(event, "metadata", "deletionTimestamp") ||
      ANNOTATIONS.some((a) => changed(event, "metadata", "annotations", a))
    ) {
      queue.add(key);
    } else if (changed(event, "metadata", "finalizers")) {
      echo.observe(key, event.object); // Our own finalizer write, or someone removing it.
    }
  });

  cache.informer("", "Service").onChange((event) => {
    if (event.type === "modified" && !changed(event, "spec")) return;
    addKeys([`svc:${crKey(event.object)}`]);
  });

  cache.informer("", "Pod").onChange((event) => {
    if (
      event.type === "modified" && !changed(event, "metadata", "labels") &&
      !changed(event, "metadata", "annotations") && !changed(event, "spec")
    ) return;
    const namespace = event.object.metadata.namespace ?? "";
    const services = cache.informer("", "Service").store.list(namespace);
    const keys = services.filter((service) =>
      versions(event).some((pod) => selects(readSelector(service), pod.metadata.labels))
    ).map((service) => `svc:${crKey(service)}`);
    addKeys(keys);
  });

  cache.informer("networking.istio.io", "Gateway").onChange((event) => {
    if (event.type === "modified" && !changed(event, "spec")) return;
    addKeys([`gw:${crKey(event.object)}`]);
  });

  cache.informer("networking.istio.io", "VirtualService").onChange((event) => {
    const hosts = versions(event).flatMap((vs) => {
      const list = at(vs, ["spec", "hosts"]);
      return Array.isArray(list) ? list.filter((h): h is string => typeof h === "string") : [];
    });
    const owners = new Set(versions(event).map(ownerOf));
    if (event.type !== "modified" || changed(event, "spec", "hosts")) {
      // Another APIRule with one of these hosts may now be in conflict, or no longer.
      for (const key of index.dependents(hostKeys(hosts))) if (!owners.has(key)) queue.add(key);
    }
    ownerChanged(event);
  });
  for (const [group, kind] of OWNED.slice(1)) {
    cache.informer(group, kind).onChange(ownerChanged);
  }

  function ownerChanged(event: StoreEvent): void {
    for (const object of versions(event)) {
      const owner = ownerOf(object);
      if (owner !== undefined) echo.observe(owner, event.object);
    }
  }

  function ownerOf(object: KubeObject): string | undefined {
    const labels = object.metadata.labels ?? {};
    const legacyValue = labels[LEGACY_OWNER_LABEL];
    if (legacyValue !== undefined) return legacy.get(legacyValue);
    const name = labels[OWNER_NAME_LABEL];
    const namespace = labels[OWNER_NAMESPACE_LABEL];
    if (name === undefined || namespace === undefined) return undefined;
    return isOwnedBy(labels, name, namespace) ? `${namespace}/${name}` : undefined;
  }

  for (const informer of cache.informers) {
    if (informer.type.kind !== "ConfigMap") continue;
    informer.onChange((event) => {
      if (!CONFIG_MAPS.has(crKey(event.object))) return;
      if (event.type !== "modified" || changed(event, "data")) addAll();
    });
  }
  cache.informer("apiextensions.k8s.io", "CustomResourceDefinition").onChange((event) => {
    if (event.type !== "modified" && CRDS.has(event.object.metadata.name ?? "")) addAll();
  });
}

function generation(object: KubeObject | undefined): number | undefined {
  return object?.metadata.generation;
}
