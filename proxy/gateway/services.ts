/**
 * Where services live outside Kubernetes: standard `Service` objects of `type: ExternalName`,
 * `spec.externalName` (host name or IP) and `spec.ports[].port`; `appProtocol: https` selects TLS
 * to the upstream. See https://kubernetes.io/docs/concepts/services-networking/service/#externalname
 */
import { isRecord, stringMap } from "../../core/ratelimit/_json.ts";

export interface ServiceEntry {
  namespace: string;
  name: string;
  externalName: string;
  ports: readonly { port: number; https: boolean }[];
  /** `metadata.labels` and `spec.selector`: what RateLimit `selectorLabels` are matched against. */
  labels: Readonly<Record<string, string>>;
}

/** An upstream a route forwards to. */
export interface Upstream {
  /** `http(s)://host:port`, no trailing slash. */
  origin: string;
  hostname: string;
  port: number;
  tls: boolean;
  /** `namespace/name:port` of the Service, for logs and metrics. */
  service: string;
}

export interface ServiceProblem {
  object: string;
  field: string;
  reason: string;
}

/** Every Service of `objects` keyed `namespace/name`, and the problems of unusable ones. */
export function readServices(
  objects: readonly unknown[],
): { services: Map<string, ServiceEntry>; problems: ServiceProblem[] } {
  const services = new Map<string, ServiceEntry>();
  const problems: ServiceProblem[] = [];
  for (const object of objects) {
    if (!isRecord(object) || object.kind !== "Service" || object.apiVersion !== "v1") continue;
    const meta = isRecord(object.metadata) ? object.metadata : {};
    const name = typeof meta.name === "string" ? meta.name : "";
    const namespace = typeof meta.namespace === "string" ? meta.namespace : "default";
    const label = `Service ${namespace}/${name}`;
    const spec = isRecord(object.spec) ? object.spec : {};
    if (spec.type !== "ExternalName") {
      problems.push({ object: label, field: "spec.type", reason: 'must be "ExternalName"' });
      continue;
    }
    const externalName = spec.externalName;
    if (typeof externalName !== "string" || !/^[A-Za-z0-9.:_-]+$/.test(externalName)) {
      problems.push({
        object: label,
        field: "spec.externalName",
        reason: "must be a host name or IP address",
      });
      continue;
    }
    const ports = Array.isArray(spec.ports) ? spec.ports : [];
    const read = ports.filter(isRecord).map((p) => ({
      port: typeof p.port === "number" ? p.port : 0,
      https: p.appProtocol === "https",
    }));
    const bad = read.findIndex((p) => !Number.isInteger(p.port) || p.port < 1 || p.port > 65535);
    if (read.length === 0 || bad !== -1) {
      problems.push({
        object: label,
        field: `spec.ports${bad === -1 ? "" : `[${bad}].port`}`,
        reason: "must list ports between 1 and 65535",
      });
      continue;
    }
    services.set(`${namespace}/${name}`, {
      namespace,
      name,
      externalName,
      ports: read,
      labels: { ...stringMap(meta.labels), ...stringMap(spec.selector) },
    });
  }
  return { services, problems };
}

/** The upstream of `service` at `port`, or why there is none. */
export function upstreamOf(
  services: ReadonlyMap<string, ServiceEntry>,
  ref: { namespace: string; name: string; port: number },
): { ok: true; value: Upstream } | { ok: false; error: string } {
  const key = `${ref.namespace}/${ref.name}`;
  const entry = services.get(key);
  if (entry === undefined) {
    return { ok: false, error: `Service "${key}" is not in the config (type ExternalName)` };
  }
  const port = entry.ports.find((p) => p.port === ref.port);
  if (port === undefined) return { ok: false, error: `Service "${key}" has no port ${ref.port}` };
  const host = entry.externalName.includes(":") ? `[${entry.externalName}]` : entry.externalName;
  return {
    ok: true,
    value: {
      origin: `${port.https ? "https" : "http"}://${host}:${ref.port}`,
      hostname: entry.externalName,
      port: ref.port,
      tls: port.https,
      service: `${key}:${ref.port}`,
    },
  };
}
