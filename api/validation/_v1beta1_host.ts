/**
 * Host checks of APIRule v1beta1 (docs/spec/apirule-v1beta1.md §6.1, §10.1): a short host gets the
 * default domain of Gateway `kyma-system/kyma-gateway`, and no foreign VirtualService may
 * serve the host.
 */
import type { ValidationFacts } from "./facts.ts";
import { type Checked, failed, merge, passed, skipped } from "./failure.ts";
import { findGateway } from "./_lookup.ts";
import { occupants } from "./_owner.ts";

/** §10.1: a short host needs the default domain, and no foreign VirtualService may serve it. */
export function hostFailures(
  apirule: { name: string; namespace: string },
  host: string | undefined,
  facts: ValidationFacts,
): Checked {
  const attributePath = ".spec.host";
  if (host === undefined) return failed({ attributePath, message: "Host was nil" });
  let effective: string | undefined = host;
  const out = passed();
  if (!host.includes(".")) {
    const domain = defaultDomain(facts);
    effective = domain.state === "found" ? `${host}.${domain.domain}` : undefined;
    if (domain.state === "unknown") out.notes.push(domain.note);
    if (domain.state === "none") {
      out.failures.push({
        attributePath,
        message: "Host does not contain a domain name and no default domain name is configured",
      });
    }
    if (domain.state === "invalid") {
      out.failures.push({
        attributePath,
        message:
          `Cannot derive the default domain from Gateway "kyma-system/kyma-gateway": ${domain.reason}`,
      });
    }
  }
  if (effective === undefined) return out;
  const occupied = occupants(facts, effective, apirule);
  if (occupied === undefined) {
    return merge(out, skipped("Host occupancy checks skipped: no VirtualServices in the input"));
  }
  for (const vs of occupied) {
    out.failures.push({
      attributePath,
      message: `This host is occupied by another Virtual Service (${vs.namespace}/${vs.name})`,
    });
  }
  return out;
}

type DefaultDomain =
  | { state: "found"; domain: string }
  | { state: "none" }
  | { state: "invalid"; reason: string }
  | { state: "unknown"; note: string };

/**
 * §6.1: the domain of Gateway `kyma-system/kyma-gateway`, whose one HTTPS server must have one
 * `*.<domain>` host. Upstream stops reconciling every v1beta1 APIRule with a retry when that
 * Gateway is malformed; here only short hosts need it, and they fail with the reason.
 */
export function defaultDomain(facts: ValidationFacts): DefaultDomain {
  const gateway = findGateway(facts, { namespace: "kyma-system", name: "kyma-gateway" });
  if (gateway.state === "unknown") {
    return {
      state: "unknown",
      note: 'Default domain checks skipped: no Gateway "kyma-system/kyma-gateway" in the input',
    };
  }
  if (gateway.state === "missing") return { state: "none" };
  const https = gateway.value.servers.filter((s) => s.protocol?.toUpperCase() === "HTTPS");
  const server = https[0];
  if (https.length !== 1 || server === undefined) {
    return { state: "invalid", reason: `it has ${https.length} HTTPS servers, not 1` };
  }
  const host = server.hosts[0];
  if (server.hosts.length !== 1 || host === undefined) {
    return { state: "invalid", reason: `its HTTPS server has ${server.hosts.length} hosts, not 1` };
  }
  if (!host.startsWith("*.") || host.length === 2) {
    return { state: "invalid", reason: `its HTTPS server host "${host}" is not "*.<domain>"` };
  }
  return { state: "found", domain: host.slice(2) };
}
