/**
 * Which RateLimits to reconcile on which change. Upstream watches RateLimits only (docs/spec/ratelimit.md §2
 * weak spot); apigw also follows what validation and the filter depend on: the Pods a RateLimit
 * selects, the other RateLimits of its namespace (conflicts), its EnvoyFilter and global
 * AuthorizationPolicy (a hand edit is reverted), api-gateway-config (the provider name), the state
 * of the APIGateway and the EnvoyFilter CRD.
 */
import { readSelectorLabels } from "./selector.ts";
import type { WorkQueue } from "../../kube/queue.ts";
import { changed, crKey, selects, versions } from "../_events.ts";
import type { ClusterCache } from "../cache.ts";
import type { EchoFilter } from "../echo.ts";

const GROUP = "gateway.kyma-project.io";

/** Subscribes the RateLimit queue to the informers a RateLimit depends on. */
export function watchRateLimitTriggers(
  cache: ClusterCache,
  queue: WorkQueue,
  echo: EchoFilter,
): void {
  const rateLimits = cache.informer(GROUP, "RateLimit");
  const addAll = () => {
    for (const rateLimit of rateLimits.store.list()) queue.add(crKey(rateLimit));
  };

  rateLimits.onChange((event) => {
    // Any event counts (docs/spec/ratelimit.md §2), but not the echo of our own status write.
    if (event.type === "modified" && !changed(event, "spec")) {
      echo.observe(crKey(event.object), event.object);
    } else queue.add(crKey(event.object));
    // Another RateLimit of the namespace may now conflict, or no longer.
    if (event.type !== "modified" || changed(event, "spec", "selectorLabels")) {
      for (const other of rateLimits.store.list(event.object.metadata.namespace ?? "")) {
        queue.add(crKey(other));
      }
    }
  });

  cache.informer("", "Pod").onChange((event) => {
    if (
      event.type === "modified" && !changed(event, "metadata", "labels") &&
      !changed(event, "metadata", "annotations")
    ) return;
    const namespace = event.object.metadata.namespace ?? "";
    for (const rateLimit of rateLimits.store.list(namespace)) {
      const selector = readSelectorLabels(rateLimit);
      if (versions(event).some((pod) => selects(selector, pod.metadata.labels))) {
        queue.add(crKey(rateLimit));
      }
    }
  });

  cache.informer("networking.istio.io", "EnvoyFilter").onChange((event) => {
    const key = crKey(event.object);
    const namespace = event.object.metadata.namespace ?? "";
    if (rateLimits.store.get(namespace, event.object.metadata.name ?? "") !== undefined) {
      echo.observe(key, event.object);
    } else if ((event.object.metadata.ownerReferences ?? []).some((r) => r.kind === "RateLimit")) {
      queue.add(key); // An EnvoyFilter left by a deleted RateLimit.
    }
  });

  // The CUSTOM policy of `spec.global`: a hand edit is reverted, a leftover of a gone RateLimit
  // deleted. Only policies a RateLimit controls; APIRules own the others.
  cache.informer("security.istio.io", "AuthorizationPolicy").onChange((event) => {
    if (!(event.object.metadata.ownerReferences ?? []).some((r) => r.kind === "RateLimit")) return;
    const key = crKey(event.object);
    const namespace = event.object.metadata.namespace ?? "";
    if (rateLimits.store.get(namespace, event.object.metadata.name ?? "") !== undefined) {
      echo.observe(key, event.object);
    } else queue.add(key);
  });

  // `apigwProvider` of api-gateway-config names the provider of those policies.
  for (const informer of cache.informers) {
    if (informer.type.kind !== "ConfigMap") continue;
    informer.onChange((event) => {
      if (crKey(event.object) !== "kyma-system/api-gateway-config") return;
      if (event.type !== "modified" || changed(event, "data")) addAll();
    });
  }

  cache.informer("operator.kyma-project.io", "APIGateway").onChange((event) => {
    if (event.type !== "modified" || changed(event, "status", "state")) addAll();
  });

  cache.informer("apiextensions.k8s.io", "CustomResourceDefinition").onChange((event) => {
    if (
      event.type !== "modified" && event.object.metadata.name === "envoyfilters.networking.istio.io"
    ) {
      addAll();
    }
  });
}
