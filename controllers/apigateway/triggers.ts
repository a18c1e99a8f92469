/**
 * Which APIGateways to reconcile on which change (docs/spec/apigateway.md §10, widened). There are one or
 * two APIGateways, so a change that matters requeues all of them and the planner decides which
 * is the owner: any APIGateway created or deleted (§2 weak spot: a younger CR takes over when the
 * owner goes), the ingress Service, the managed NetworkPolicy, the cluster domain, the Nodes'
 * capacity, the Oathkeeper Deployment (its availability), the installed Kyma Gateway objects
 * (a hand edit is reverted) and CRDs; while a deletion or a Kyma Gateway removal is blocked, the
 * objects that block it.
 */
import type { KubeObject } from "../../api/meta.ts";
import { KYMA_GATEWAY_FINALIZER } from "../../core/apigateway/deletion.ts";
import type { WorkQueue } from "../../kube/queue.ts";
import { at, changed, crKey } from "../_events.ts";
import type { ClusterCache } from "../cache.ts";
import type { EchoFilter } from "../echo.ts";

const GROUP = "operator.kyma-project.io";
const MANAGED_BY = "api-gateway.kyma-project.io/managed-by";

/** Subscribes the APIGateway queue to the informers an APIGateway depends on. */
export function watchAPIGatewayTriggers(
  cache: ClusterCache,
  queue: WorkQueue,
  echo: EchoFilter,
): void {
  const gateways = cache.informer(GROUP, "APIGateway");
  const addAll = () => {
    for (const gateway of gateways.store.list()) queue.add(crKey(gateway));
  };
  // A change to an object the APIGateway itself writes: requeue unless it is that write's echo.
  const observeAll = (object: KubeObject) => {
    for (const gateway of gateways.store.list()) echo.observe(crKey(gateway), object);
  };
  const addBlocked = () => {
    for (const gateway of gateways.store.list()) {
      if (isBlockable(gateway)) queue.add(crKey(gateway));
    }
  };

  gateways.onChange((event) => {
    if (event.type !== "modified") return addAll();
    if (
      event.object.metadata.generation !== event.old?.metadata.generation ||
      changed(event, "metadata", "deletionTimestamp")
    ) {
      queue.add(crKey(event.object));
    } else if (changed(event, "metadata", "finalizers")) {
      echo.observe(crKey(event.object), event.object);
    }
  });

  cache.informer("", "Service").onChange((event) => {
    if (crKey(event.object) === "istio-system/istio-ingressgateway") addAll();
  });
  cache.informer("networking.k8s.io", "NetworkPolicy").onChange((event) => {
    const owner = event.object.metadata.labels?.[MANAGED_BY];
    if (owner !== undefined) echo.observe(owner, event.object);
  });
  for (const informer of cache.informers) {
    if (informer.type.kind !== "ConfigMap") continue;
    informer.onChange((event) => {
      if (crKey(event.object) === "kube-system/shoot-info" && changed(event, "data")) addAll();
    });
  }
  cache.informer("", "Node").onChange((event) => {
    if (changed(event, "status", "capacity")) addAll();
  });
  cache.informer("apps", "Deployment").onChange((event) => {
    if (changed(event, "status")) addAll(); // Availability, written by the kubelet side.
    else if (changed(event, "spec")) observeAll(event.object);
  });
  cache.informer("autoscaling.k8s.io", "VerticalPodAutoscalerCheckpoint").onChange(addAll);
  cache.informer("apiextensions.k8s.io", "CustomResourceDefinition").onChange((event) => {
    if (event.type !== "modified") addAll();
  });
  cache.informer("networking.istio.io", "Gateway").onChange((event) => {
    if (crKey(event.object) === "kyma-system/kyma-gateway") observeAll(event.object);
  });
  cache.informer("networking.istio.io", "VirtualService").onChange((event) => {
    if (crKey(event.object) === "istio-system/istio-healthz") observeAll(event.object);
    else if (usesKymaGateway(event.object) || usesKymaGateway(event.old)) addBlocked();
  });
  for (
    const [group, kind] of [
      ["gateway.kyma-project.io", "APIRule"],
      ["gateway.kyma-project.io", "RateLimit"],
      ["oathkeeper.ory.sh", "Rule"],
    ] as const
  ) {
    cache.informer(group, kind).onChange((event) => {
      if (event.type !== "modified" || changed(event, "spec", "gateway")) addBlocked();
    });
  }
}

/** Whether a deletion or Kyma Gateway removal of this CR may be waiting for blockers to go. */
function isBlockable(gateway: KubeObject): boolean {
  if (gateway.metadata.deletionTimestamp !== undefined) return true;
  return at(gateway, ["spec", "enableKymaGateway"]) !== true &&
    (gateway.metadata.finalizers ?? []).includes(KYMA_GATEWAY_FINALIZER);
}

function usesKymaGateway(vs: KubeObject | undefined): boolean {
  const gateways = at(vs, ["spec", "gateways"]);
  return Array.isArray(gateways) && gateways.includes("kyma-system/kyma-gateway");
}
