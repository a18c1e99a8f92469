/**
 * Host checks of APIRule v2 (docs/spec/apirule-v2.md §6, §13.6): short hosts need a Gateway with one
 * `*.<domain>` host, hosts must be DNS names, and no foreign VirtualService may serve them.
 */
import type { GatewayFact, ValidationFacts } from "./facts.ts";
import { type Checked, merge, passed, skipped } from "./failure.ts";
import type { Lookup } from "./_lookup.ts";
import { occupants } from "./_owner.ts";

/** App. A3: a short host is one lowercase DNS label. */
export const SHORT_HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** App. A3: an FQDN or `*.` + FQDN whose last label has 2–63 alphanumerics. */
export const FQDN_HOST = /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]{2,63}$/;

export interface HostsInput {
  /** The APIRule, for VirtualService ownership. */
  name: string;
  namespace: string;
  hosts: readonly string[];
  /** `spec.gateway` and what discovery found; both undefined when there is no usable one. */
  gatewayRef?: string | undefined;
  gateway?: Lookup<GatewayFact> | undefined;
}

/** H0–H4, per host in order. */
export function hostFailures(input: HostsInput, facts: ValidationFacts): Checked {
  if (input.hosts.length === 0) {
    return { failures: [{ attributePath: ".spec.hosts", message: "No hosts defined" }], notes: [] };
  }
  return merge(...input.hosts.map((host, i) => oneHost(input, host, i, facts)));
}

function oneHost(input: HostsInput, host: string, i: number, facts: ValidationFacts): Checked {
  const attributePath = `.spec.hosts[${i}]`;
  const out = passed();
  let resolved: string | undefined = host;
  if (SHORT_HOST.test(host)) {
    resolved = undefined;
    const gateway = input.gateway;
    if (gateway?.state === "unknown") out.notes.push(gateway.note);
    else if (gateway?.state === "missing") {
      out.failures.push({ attributePath, message: `Unable to find Gateway "${input.gatewayRef}"` }); // H1
    } else if (gateway?.state === "found") {
      const domain = singleWildcardDomain(gateway.value);
      if (domain === undefined) {
        out.failures.push({
          attributePath,
          message:
            "Lowercase RFC 1123 label (short host) is only supported as the APIRule host when selected Gateway has a single host definition matching *.<fqdn> format",
        }); // H2
      } else resolved = `${host}.${domain}`;
    }
  } else if (host.length > 255 || !FQDN_HOST.test(host)) {
    out.failures.push({ attributePath, message: "Host must be a valid FQDN or short host name" }); // H3
  }
  if (resolved === undefined) return out;
  const occupied = occupants(facts, resolved, input);
  if (occupied === undefined) {
    return merge(out, skipped("Host occupancy checks skipped: no VirtualServices in the input"));
  }
  // H4, one failure per VirtualService; naming it is added detail (decision 6).
  for (const vs of occupied) {
    out.failures.push({
      attributePath,
      message: `Host is occupied by another Virtual Service (${vs.namespace}/${vs.name})`,
    });
  }
  return out;
}

/**
 * The domain of a Gateway whose every server has exactly one host, the same `*.<domain>` on
 * all of them; undefined otherwise. Upstream also accepts a Gateway without servers and then
 * fails to build the VirtualService; here that is H2 too.
 */
export function singleWildcardDomain(gateway: GatewayFact): string | undefined {
  const hosts = gateway.servers.map((s) => (s.hosts.length === 1 ? s.hosts[0] : undefined));
  const first = hosts[0];
  if (first === undefined || !first.startsWith("*.")) return undefined;
  return hosts.every((h) => h === first) ? first.slice(2) : undefined;
}
