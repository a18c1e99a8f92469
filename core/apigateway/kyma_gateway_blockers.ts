/**
 * The check before the Kyma Gateway is removed (docs/spec/apigateway.md §7.7): APIRules and VirtualServices
 * that route through it block the removal. Unlike upstream (§15 weak spot 8), every spelling of a
 * reference to the gateway counts, and only the gateway's own health VirtualService is exempt.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { Snapshot } from "../snapshot.ts";
import { ISTIO_SYSTEM, KYMA_SYSTEM } from "./_meta.ts";
import { stringAt, stringsAt } from "./_read.ts";
import { sortedKeys } from "./deletion.ts";
import { HEALTH_VIRTUAL_SERVICE, KYMA_GATEWAY } from "./kyma_gateway.ts";
import { kymaGatewayDeletionBlocked, type Outcome } from "./status.ts";

const MAX_REPORTED = 5;

/**
 * The Warning that blocks removing the Kyma Gateway, or undefined: APIRules first, then
 * VirtualServices, each in namespace/name order; the message names at most five objects.
 */
export function kymaGatewayBlocker(snapshot: Snapshot): Outcome | undefined {
  const apiRules = snapshot.hasCRD("apirules.gateway.kyma-project.io")
    ? snapshot.list("gateway.kyma-project.io", "APIRule").filter((rule) =>
      isKymaGateway(stringAt(rule, "spec", "gateway"), namespaceOf(rule))
    )
    : [];
  const virtualServices = snapshot.hasCRD("virtualservices.networking.istio.io")
    ? snapshot.list("networking.istio.io", "VirtualService").filter((vs) =>
      !isHealthVirtualService(vs) &&
      stringsAt(vs, "spec", "gateways").some((ref) => isKymaGateway(ref, namespaceOf(vs)))
    )
    : [];
  const names = [...sortedKeys(apiRules), ...sortedKeys(virtualServices)]
    .map((key) => key.slice(key.indexOf("/") + 1));
  return names.length === 0 ? undefined : kymaGatewayDeletionBlocked(names.slice(0, MAX_REPORTED));
}

/**
 * Tells whether a gateway reference names `kyma-system/kyma-gateway`: as `namespace/name`, as the
 * Service-like `name.namespace[.svc.cluster.local]`, or as a bare name from inside `kyma-system`
 * (Istio resolves a bare name in the referring object's namespace).
 */
export function isKymaGateway(ref: string | undefined, namespace: string): boolean {
  if (ref === undefined) return false;
  const trimmed = ref.trim();
  const slash = trimmed.indexOf("/");
  if (slash !== -1) {
    return trimmed.slice(0, slash) === KYMA_SYSTEM && trimmed.slice(slash + 1) === KYMA_GATEWAY;
  }
  const [name, ns, ...rest] = trimmed.split(".");
  if (ns === undefined) return name === KYMA_GATEWAY && namespace === KYMA_SYSTEM;
  const suffix = rest.join(".");
  return name === KYMA_GATEWAY && ns === KYMA_SYSTEM &&
    (suffix === "" || suffix === "svc" || suffix === "svc.cluster.local");
}

function isHealthVirtualService(vs: KubeObject): boolean {
  return vs.metadata.name === HEALTH_VIRTUAL_SERVICE && vs.metadata.namespace === ISTIO_SYSTEM;
}

function namespaceOf(object: KubeObject): string {
  return object.metadata.namespace ?? "";
}
