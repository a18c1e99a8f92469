/**
 * The temporary AuthorizationPolicy of a workload's switch to v2. Once one ALLOW policy selects a
 * workload, Istio denies every request no ALLOW policy admits. That bites twice: with several
 * v1beta1 APIRules on one workload (kyma-project/api-gateway#1281), the first applied as v2
 * shuts out the traffic the others still send (through Oathkeeper, or straight from the ingress
 * gateway for allow/no_auth); and even for one APIRule, the operator creates its policies one by
 * one, so until the last exists the first denies what the others will allow
 * (tests/operator/migrate_live_test.ts observes it). Upstream's guide bridges the first case with
 * a temporary policy applied first and deleted last; this module builds it for every workload.
 */
import type { APIRuleSpecV1beta1 } from "../../api/apirule/v1beta1.ts";
import { defaultDomainOf } from "../authz/oathkeeper/default_domain.ts";

export const OATHKEEPER_PRINCIPAL = "cluster.local/ns/kyma-system/sa/oathkeeper-maester-account";
export const INGRESS_PRINCIPAL =
  "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";
export const TEMPORARY_POLICY_NAME = "allow-migration";

export interface SharedWorkload {
  /** `namespace/name` of the Service the APIRules expose. */
  service: string;
  /** Whether several APIRules expose it (upstream's guide case). */
  shared: boolean;
  apiRules: string[];
  /** The temporary policy, or undefined when the Service's selector is not known. */
  policy?: Record<string, unknown>;
  /** What is missing to build the policy, or notes about it. */
  notes: string[];
  /** The order of steps, as text. */
  steps: string[];
}

export interface WorkloadInput {
  namespace: string;
  name: string;
  spec: APIRuleSpecV1beta1;
}

/** Every workload `apiRules` expose, each with its temporary policy and the order of steps. */
export function sharedWorkloads(
  apiRules: readonly WorkloadInput[],
  objects: readonly unknown[],
): SharedWorkload[] {
  const byService = new Map<string, WorkloadInput[]>();
  for (const rule of apiRules) {
    for (const service of servicesOf(rule)) {
      const list = byService.get(service) ?? [];
      if (!list.includes(rule)) list.push(rule);
      byService.set(service, list);
    }
  }
  const domain = defaultDomainOf(objects);
  const shared: SharedWorkload[] = [];
  for (const [service, rules] of [...byService].sort(([a], [b]) => a < b ? -1 : 1)) {
    const [namespace, name] = service.split("/") as [string, string];
    const notes: string[] = [];
    const selector = selectorOf(objects, namespace, name);
    if (selector === undefined) {
      notes.push(
        `the selector of Service "${service}" is unknown: add the Service to the files ` +
          "(or use --cluster) to get the temporary AuthorizationPolicy",
      );
    }
    const direct = rules.filter((r) =>
      r.spec.rules.some((rule) =>
        rule.accessStrategies.some((s) => s.handler === "allow" || s.handler === "no_auth")
      )
    );
    const viaOathkeeper = rules.some((r) =>
      r.spec.rules.some((rule) =>
        rule.accessStrategies.some((s) => s.handler !== "allow" && s.handler !== "no_auth")
      )
    );
    const hosts: string[] = [];
    for (const r of direct) {
      if (r.spec.host.includes(".")) hosts.push(r.spec.host);
      else if (domain !== undefined) hosts.push(`${r.spec.host}.${domain}`);
      else {
        notes.push(
          `host "${r.spec.host}" of APIRule ${r.namespace}/${r.name} has no domain and the ` +
            "kyma-system/kyma-gateway Gateway is not in the input: add its FQDN by hand",
        );
      }
    }
    const policyRules = [
      ...(viaOathkeeper ? [{ from: [{ source: { principals: [OATHKEEPER_PRINCIPAL] } }] }] : []),
      ...(hosts.length > 0
        ? [{
          from: [{ source: { principals: [INGRESS_PRINCIPAL] } }],
          to: [{ operation: { hosts } }],
        }]
        : []),
    ];
    const policy = selector === undefined ? undefined : {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: TEMPORARY_POLICY_NAME, namespace },
      spec: { action: "ALLOW", rules: policyRules, selector: { matchLabels: selector } },
    };
    const names = rules.map((r) => `${r.namespace}/${r.name}`);
    shared.push({
      service,
      shared: rules.length > 1,
      apiRules: names,
      ...(policy !== undefined ? { policy } : {}),
      notes,
      steps: [
        `1. Apply the temporary AuthorizationPolicy ${namespace}/${TEMPORARY_POLICY_NAME} ` +
        (names.length > 1
          ? "before any of these APIRules is applied as v2"
          : "before the APIRule is applied as v2"),
        `2. Apply the v2 APIRule${
          names.length > 1 ? `s ${names.join(", ")} (in any order)` : ` ${names[0]}`
        }`,
        `3. When ${
          names.length > 1 ? "all are" : "it is"
        } v2 and Ready: kubectl delete authorizationpolicy ${TEMPORARY_POLICY_NAME} -n ${namespace}`,
      ],
    });
  }
  return shared;
}

function servicesOf(rule: WorkloadInput): string[] {
  const keys = new Set<string>();
  const add = (service: { name: string; namespace?: string } | undefined) => {
    if (service !== undefined) keys.add(`${service.namespace ?? rule.namespace}/${service.name}`);
  };
  add(rule.spec.service);
  for (const r of rule.spec.rules) add(r.service);
  return [...keys];
}

function selectorOf(
  objects: readonly unknown[],
  namespace: string,
  name: string,
): Record<string, string> | undefined {
  for (const o of objects) {
    if (!isRecord(o) || o.kind !== "Service" || o.apiVersion !== "v1") continue;
    const meta = isRecord(o.metadata) ? o.metadata : {};
    if (meta.name !== name || (meta.namespace ?? "default") !== namespace) continue;
    const spec = isRecord(o.spec) ? o.spec : {};
    if (!isRecord(spec.selector)) return undefined;
    const entries = Object.entries(spec.selector).filter((e): e is [string, string] =>
      typeof e[1] === "string"
    );
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
