/**
 * Cluster size for the Oathkeeper variant (docs/spec/apigateway.md §8.4): below 5 CPUs or 10 GB of memory
 * in total (or without Nodes) the cluster is an evaluation cluster.
 */
import type { Snapshot } from "../snapshot.ts";
import { parseQuantity } from "./_quantity.ts";
import { valueAt } from "./_read.ts";

export type ClusterSize = "Evaluation" | "Production";

const MIN_CPU = 5;
/** Decimal gigabytes, as upstream compares them (about 9.31 GiB). */
const MIN_MEMORY = 10 * 10 ** 9;

/** The size class from the sum of `status.capacity` over all Nodes. */
export function clusterSize(snapshot: Snapshot): ClusterSize {
  let cpu = 0;
  let memory = 0;
  for (const node of snapshot.list("", "Node")) {
    cpu += parseQuantity(valueAt(node, "status", "capacity", "cpu")) ?? 0;
    memory += parseQuantity(valueAt(node, "status", "capacity", "memory")) ?? 0;
  }
  return cpu < MIN_CPU || memory < MIN_MEMORY ? "Evaluation" : "Production";
}
