/**
 * The APIGateway singleton (docs/spec/apigateway.md §2): only the oldest CR reconciles the module; the
 * others are parked in `Warning`. The RateLimit planner uses the same owner.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { Snapshot } from "../snapshot.ts";
import { APIGATEWAY_GROUP } from "./_meta.ts";
import { oldestOf } from "../../api/apigateway/owner.ts";

/**
 * The owner APIGateway of the cluster: the CR with the smallest `creationTimestamp`, ties broken by
 * the byte-wise smaller name (§2 [tightened]); undefined when there is none.
 */
export function ownerAPIGateway(snapshot: Snapshot): KubeObject | undefined {
  return oldestAPIGateway(snapshot.list(APIGATEWAY_GROUP, "APIGateway"));
}

/** The oldest of some APIGateway CRs (see `oldestOf`). */
export function oldestAPIGateway(candidates: readonly KubeObject[]): KubeObject | undefined {
  return oldestOf(candidates, (o) => ({
    name: o.metadata.name ?? "",
    creationTimestamp: o.metadata.creationTimestamp,
  }));
}
