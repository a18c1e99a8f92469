/**
 * The default domain v1beta1 short hosts take (docs/spec/apirule-v1beta1.md §6.1), read from raw objects:
 * the one host `*.<domain>` of the one HTTPS server of Gateway `kyma-system/kyma-gateway`.
 */

/** The default domain, or undefined when the Gateway is absent or not of that shape. */
export function defaultDomainOf(objects: readonly unknown[]): string | undefined {
  const gateway = objects.find((o) =>
    isRecord(o) && o.kind === "Gateway" &&
    typeof o.apiVersion === "string" && o.apiVersion.startsWith("networking.istio.io/") &&
    isRecord(o.metadata) && o.metadata.namespace === "kyma-system" &&
    o.metadata.name === "kyma-gateway"
  );
  const spec = isRecord(gateway) && isRecord(gateway.spec) ? gateway.spec : {};
  const servers = Array.isArray(spec.servers) ? spec.servers.filter(isRecord) : [];
  const https = servers.filter((s) =>
    isRecord(s.port) && typeof s.port.protocol === "string" &&
    s.port.protocol.toUpperCase() === "HTTPS"
  );
  const hosts = https.length === 1 && Array.isArray(https[0]!.hosts) ? https[0]!.hosts : [];
  const host = hosts.length === 1 ? hosts[0] : undefined;
  return typeof host === "string" && host.startsWith("*.") && host.length > 2
    ? host.slice(2)
    : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
