/**
 * Finalizers of the owner APIGateway and the deletion blocking check (docs/spec/apigateway.md §5): the CR
 * is not torn down while any APIRule, Ory Oathkeeper Rule or RateLimit exists in the cluster.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { Snapshot } from "../snapshot.ts";
import { type BlockingKind, deletionBlocked, type Outcome } from "./status.ts";

/** The module finalizer, added on every pass that does not delete (§5). */
export const MODULE_FINALIZER = "gateways.operator.kyma-project.io/api-gateway";
/** The Kyma Gateway finalizer, present while the Kyma Gateway objects are installed (§5, §7.2). */
export const KYMA_GATEWAY_FINALIZER = "gateways.operator.kyma-project.io/kyma-gateway";

/** The CRD (`plural.group`), group and kind of each blocking kind, in the order they are checked. */
const BLOCKING: ReadonlyArray<{ kind: BlockingKind; group: string; crd: string; max: number }> = [
  {
    kind: "APIRule",
    group: "gateway.kyma-project.io",
    crd: "apirules.gateway.kyma-project.io",
    max: 5,
  },
  { kind: "Rule", group: "oathkeeper.ory.sh", crd: "rules.oathkeeper.ory.sh", max: 5 },
  // Upstream reports every RateLimit, not only the first five.
  {
    kind: "RateLimit",
    group: "gateway.kyma-project.io",
    crd: "ratelimits.gateway.kyma-project.io",
    max: Infinity,
  },
];

/**
 * The Warning that blocks the CR's deletion (§5.1), or undefined when nothing blocks: the first
 * kind with any object in any namespace, its objects as `namespace/name` in namespace, then name
 * order. A kind whose CRD is not installed has no objects.
 */
export function deletionBlocker(snapshot: Snapshot): Outcome | undefined {
  for (const { kind, group, crd, max } of BLOCKING) {
    if (!snapshot.hasCRD(crd)) continue;
    const objects = sortedKeys(snapshot.list(group, kind));
    if (objects.length > 0) return deletionBlocked(kind, objects.slice(0, max));
  }
  return undefined;
}

/** `namespace/name` of objects, sorted by namespace, then name. */
export function sortedKeys(objects: readonly KubeObject[]): string[] {
  return objects
    .map((o) => ({ namespace: o.metadata.namespace ?? "", name: o.metadata.name ?? "" }))
    .sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name))
    .map((o) => `${o.namespace}/${o.name}`);
}

/** `finalizers` with `finalizer` appended when missing. */
export function withFinalizer(finalizers: readonly string[], finalizer: string): string[] {
  return finalizers.includes(finalizer) ? [...finalizers] : [...finalizers, finalizer];
}

/** `finalizers` without the given ones. */
export function withoutFinalizers(
  finalizers: readonly string[],
  remove: readonly string[],
): string[] {
  return finalizers.filter((f) => !remove.includes(f));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
