/**
 * Addresses of the Istio ingress gateway load balancer (docs/spec/apigateway.md §7.5): the targets and IP
 * stack of the Kyma Gateway DNSEntry, read from Service `istio-system/istio-ingressgateway`.
 */
import type { Result } from "../result.ts";
import type { Snapshot } from "../snapshot.ts";
import { ISTIO_SYSTEM } from "./_meta.ts";
import { listAt, stringAt, stringsAt } from "./_read.ts";

export type IPStack = "ipv4" | "ipv6" | "dual-stack";

export interface IngressAddresses {
  /** For each ingress entry in order: its `ip`, then its `hostname`, when non-empty. */
  targets: string[];
  stack: IPStack;
}

const SERVICE = "istio-ingressgateway";

/** The DNS targets and IP stack of the ingress gateway, or why there are none yet. */
export function ingressAddresses(snapshot: Snapshot): Result<IngressAddresses, string> {
  const service = snapshot.get("", "Service", ISTIO_SYSTEM, SERVICE);
  if (service === undefined) {
    return { ok: false, error: `Service ${ISTIO_SYSTEM}/${SERVICE} does not exist` };
  }
  const ingress = listAt(service, "status", "loadBalancer", "ingress");
  if (ingress.length === 0) {
    return { ok: false, error: `no ingress exists for ${ISTIO_SYSTEM}/${SERVICE}` };
  }
  const targets: string[] = [];
  for (const entry of ingress) {
    const ip = stringAt(entry, "ip");
    const hostname = stringAt(entry, "hostname");
    if (ip) targets.push(ip);
    if (hostname) targets.push(hostname);
  }
  if (targets.length === 0) {
    return { ok: false, error: `no ingress targets found for ${ISTIO_SYSTEM}/${SERVICE}` };
  }
  return { ok: true, value: { targets, stack: ipStack(stringsAt(service, "spec", "ipFamilies")) } };
}

function ipStack(families: readonly string[]): IPStack {
  if (families.length === 2) return "dual-stack";
  return families.length === 1 && families[0] === "IPv6" ? "ipv6" : "ipv4";
}
