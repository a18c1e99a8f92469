/**
 * The APIGateway singleton (apigateway.md §2): only the oldest CR reconciles the module; the
 * others are parked in `Warning`. The RateLimit planner uses the same owner.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { Snapshot } from "../snapshot.ts";
import { APIGATEWAY_GROUP } from "./_meta.ts";
import { stringAt, timeOf } from "./_read.ts";

/**
 * The owner APIGateway of the cluster: the CR with the smallest `creationTimestamp`, ties broken by
 * the byte-wise smaller name (§2 [tightened]); undefined when there is none.
 */
export function ownerAPIGateway(snapshot: Snapshot): KubeObject | undefined {
  return oldestAPIGateway(snapshot.list(APIGATEWAY_GROUP, "APIGateway"));
}

/**
 * The oldest of some APIGateway CRs. A CR without a (parseable) `creationTimestamp` has not been
 * stored yet (render input), so it counts as younger than every stored one.
 */
export function oldestAPIGateway(candidates: readonly KubeObject[]): KubeObject | undefined {
  let owner: KubeObject | undefined;
  for (const candidate of candidates) {
    if (owner === undefined || isOlder(candidate, owner)) owner = candidate;
  }
  return owner;
}

function isOlder(a: KubeObject, b: KubeObject): boolean {
  const ta = timeOf(stringAt(a, "metadata", "creationTimestamp")) ?? Infinity;
  const tb = timeOf(stringAt(b, "metadata", "creationTimestamp")) ?? Infinity;
  if (ta !== tb) return ta < tb;
  return byteCompare(stringAt(a, "metadata", "name") ?? "", stringAt(b, "metadata", "name") ?? "") <
    0;
}

function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
