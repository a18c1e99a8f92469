/**
 * What an APIRule's reconcile depends on, as keys an informer event can be mapped to: the
 * Services its rules name, the Gateway it references (and `kyma-system/kyma-gateway`, the
 * default domain of v1beta1 hosts), and its hosts (a VirtualService with the same host decides
 * host occupancy). Read from both the stored spec and the original v1beta1 spec annotation.
 */
import type { KubeObject } from "../../api/meta.ts";
import { isRecord } from "../../kube/object.ts";
import { V1BETA1_SPEC_ANNOTATION } from "../../core/apirule/v1beta1/plan.ts";

const DEFAULT_GATEWAY = "kyma-system/kyma-gateway";

/** Dependency keys: `svc:<ns>/<name>`, `gw:<ns>/<name>`, `host:<fqdn>`, `short:<label>`. */
export function dependencyKeys(apiRule: KubeObject): string[] {
  const namespace = apiRule.metadata.namespace ?? "";
  const keys = new Set<string>();
  const specs: Array<{ spec: Record<string, unknown>; v1beta1: boolean }> = [];
  if (isRecord(apiRule.spec)) {
    specs.push({ spec: apiRule.spec, v1beta1: apiRule.apiVersion.endsWith("/v1beta1") });
  }
  const original = apiRule.metadata.annotations?.[V1BETA1_SPEC_ANNOTATION];
  if (original !== undefined) {
    try {
      const parsed: unknown = JSON.parse(original);
      if (isRecord(parsed)) specs.push({ spec: parsed, v1beta1: true });
    } catch {
      // An unreadable annotation fails the reconcile; it depends on nothing else.
    }
    keys.add(`gw:${DEFAULT_GATEWAY}`);
  }
  for (const { spec, v1beta1 } of specs) {
    const main = isRecord(spec.service) ? spec.service : undefined;
    const mainNamespace = text(main?.namespace);
    addService(keys, main, mainNamespace ?? namespace);
    for (const rule of Array.isArray(spec.rules) ? spec.rules : []) {
      if (!isRecord(rule) || !isRecord(rule.service)) continue;
      // v2 inherits the spec-level namespace (Q3); v1beta1 resolves rule services like that too,
      // but matches Service events against the APIRule namespace: depend on both.
      addService(keys, rule.service, text(rule.service.namespace) ?? mainNamespace ?? namespace);
      addService(keys, rule.service, text(rule.service.namespace) ?? namespace);
    }
    const gateway = text(spec.gateway);
    if (gateway !== undefined) keys.add(`gw:${gatewayKey(gateway, namespace)}`);
    const hosts = Array.isArray(spec.hosts) ? spec.hosts : [spec.host];
    for (const host of hosts) {
      if (typeof host !== "string" || host === "") continue;
      if (host.includes(".")) keys.add(`host:${host}`);
      else keys.add(`short:${host}`);
    }
    if (v1beta1) keys.add(`gw:${DEFAULT_GATEWAY}`);
  }
  return [...keys];
}

/** The keys a VirtualService's hosts touch: each host, and its first label (for short hosts). */
export function hostKeys(hosts: readonly string[]): string[] {
  return hosts.flatMap((host) => [`host:${host}`, `short:${host.split(".")[0] ?? host}`]);
}

/** `namespace/name` of a gateway reference: `ns/name`, `name.ns.svc.cluster.local` or `name`. */
export function gatewayKey(reference: string, namespace: string): string {
  if (reference.includes("/")) return reference;
  const parts = reference.split(".");
  return parts.length >= 2 ? `${parts[1]}/${parts[0]}` : `${namespace}/${reference}`;
}

function addService(
  keys: Set<string>,
  service: Record<string, unknown> | undefined,
  namespace: string,
): void {
  const name = text(service?.name);
  if (name !== undefined) keys.add(`svc:${namespace || "default"}/${name}`);
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
