/**
 * Host resolution for APIRule v2 (docs/spec/apirule-v2.md §6): short hosts take the gateway domain, FQDNs
 * and wildcard hosts stay as they are.
 */
const SHORT_HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Tells whether `host` is a short host name (one DNS label, no dot). */
export function isShortHost(host: string): boolean {
  return SHORT_HOST.test(host);
}

/**
 * The domain of a Gateway: the first host of the first server that has one, without `*.`.
 * Undefined when no server has a host.
 */
export function gatewayDomain(
  servers: readonly { hosts?: readonly string[] }[],
): string | undefined {
  for (const server of servers) {
    const first = server.hosts?.[0];
    if (first !== undefined) return first.startsWith("*.") ? first.slice(2) : first;
  }
  return undefined;
}

/** The resolved hosts in order; a short host without a gateway domain is an error. */
export function resolveHosts(
  hosts: readonly string[],
  domain: string | undefined,
): { ok: true; value: string[] } | { ok: false; error: string } {
  const out: string[] = [];
  for (const host of hosts) {
    if (!isShortHost(host)) {
      out.push(host);
      continue;
    }
    if (domain === undefined) {
      return {
        ok: false,
        error: "gateway with host definition must be provided when using short host name",
      };
    }
    out.push(`${host}.${domain}`);
  }
  return { ok: true, value: out };
}

/** The `x-forwarded-host` value: the first host, or the request authority for a wildcard host. */
export function forwardedHost(resolvedHosts: readonly string[]): string {
  const first = resolvedHosts[0] ?? "";
  return first.startsWith("*.") ? "%REQ(:AUTHORITY)%" : first;
}
