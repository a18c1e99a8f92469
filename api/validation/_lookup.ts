/**
 * Lookups in the cluster facts that tell "exists", "does not exist" and "unknown" apart. In a
 * complete snapshot an object that is not listed does not exist; in a partial one (validate's
 * input files) a namespace is known for a kind only when the input has an object of that kind
 * in it.
 */
import type { GatewayFact, PodFact, ServiceFact, ValidationFacts } from "./facts.ts";

export type Lookup<T> =
  | { state: "found"; value: T }
  | { state: "missing" }
  | { state: "unknown"; note: string };

interface Named {
  namespace: string;
  name: string;
}

function lookup<T extends Named>(
  list: readonly T[] | undefined,
  complete: boolean | undefined,
  key: Named,
  what: string,
): Lookup<T> {
  const found = list?.find((o) => o.namespace === key.namespace && o.name === key.name);
  if (found !== undefined) return { state: "found", value: found };
  if (list !== undefined && (complete || list.some((o) => o.namespace === key.namespace))) {
    return { state: "missing" };
  }
  return {
    state: "unknown",
    note: `${what} checks skipped: no ${what} "${key.namespace}/${key.name}" in the input`,
  };
}

/** The Service `namespace/name`. */
export function findService(facts: ValidationFacts, key: Named): Lookup<ServiceFact> {
  if (facts.index !== undefined) {
    const found = facts.index.service(key.namespace, key.name);
    return found === undefined ? { state: "missing" } : { state: "found", value: found };
  }
  return lookup(facts.services, facts.complete, key, "Service");
}

/** The Istio Gateway `namespace/name`. */
export function findGateway(facts: ValidationFacts, key: Named): Lookup<GatewayFact> {
  return lookup(facts.gateways, facts.complete, key, "Gateway");
}

/** Every Pod of `namespace`, or undefined when they are unknown. */
export function podsIn(facts: ValidationFacts, namespace: string): readonly PodFact[] | undefined {
  if (facts.index !== undefined) return facts.index.podsIn(namespace);
  const pods = facts.pods;
  if (pods === undefined) return undefined;
  const inNamespace = pods.filter((p) => p.namespace === namespace);
  return facts.complete || inNamespace.length > 0 ? inNamespace : undefined;
}

/** The note for Pods that are unknown. */
export function podsUnknownNote(what: string, namespace: string): string {
  return `${what} skipped: no Pods in namespace "${namespace}" in the input`;
}

/** True when `labels` has every pair of `selector`. */
export function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** Compares by name, byte-wise, for deterministic output (decision 4). */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The Istio sidecar container (also accepted as a native-sidecar init container). */
export const SIDECAR_CONTAINER = "istio-proxy";

/** The Pods that `selector` picks and that have no Istio sidecar, sorted by name. */
export function podsWithoutSidecar(
  pods: readonly PodFact[],
  selector: Readonly<Record<string, string>>,
): PodFact[] {
  return pods
    .filter((pod) => selects(selector, pod.labels))
    .filter((pod) => ![...pod.containers, ...pod.initContainers].includes(SIDECAR_CONTAINER))
    .sort(byName);
}

/**
 * The namespace of a rule's Service (docs/spec/apirule-v2.md §7, docs/spec/apirule-v1beta1.md §6.2): the rule
 * service's, else the spec service's (also for a rule-level service, Q3), else the APIRule's;
 * `default` when that is empty. Undefined when it depends on a spec service that failed the
 * schema.
 */
export function serviceNamespace(
  ruleService: { namespace?: string } | undefined,
  specService: { namespace?: string } | "invalid" | undefined,
  apiruleNamespace: string,
): string | undefined {
  if (ruleService?.namespace) return ruleService.namespace;
  if (specService === "invalid") return undefined;
  return specService?.namespace || apiruleNamespace || "default";
}
