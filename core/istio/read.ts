/**
 * Reading the fields apigw needs from cluster objects it does not own (Gateways, Services,
 * Pods), which arrive untyped: every field is checked, and anything malformed reads as absent.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { Gateway } from "./types.ts";

/** The servers of an Istio Gateway. */
export function readGateway(object: KubeObject): Gateway {
  const spec = record(object.spec);
  const servers = list(spec?.servers).flatMap((raw) => {
    const server = record(raw);
    if (server === undefined) return [];
    const port = record(server.port);
    const protocol = typeof port?.protocol === "string" ? port.protocol : undefined;
    return [{
      hosts: list(server.hosts).filter((h): h is string => typeof h === "string"),
      ...(protocol !== undefined ? { port: { protocol } } : {}),
    }];
  });
  return { metadata: object.metadata, spec: { servers } };
}

/** A Service's `spec.selector` (empty when absent or malformed). */
export function readSelector(object: KubeObject): Record<string, string> {
  return stringMap(record(object.spec)?.selector);
}

/** A map of strings, dropping non-string values. */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value) ?? {})) if (typeof v === "string") out[k] = v;
  return out;
}

/** `value` as a plain object, or undefined. */
export function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** `value` as a list, or empty. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
