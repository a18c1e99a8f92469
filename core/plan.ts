/**
 * What a reconcile of one apigw CR decides, as a value: the complete desired objects, the owned
 * objects to delete, and the CR's new finalizers and status. `render` prints it; the operator
 * applies it. Planners are pure: everything they need is in the snapshot and the options.
 */
import type { KubeObject } from "../api/meta.ts";
import type { Snapshot } from "./snapshot.ts";

export type CRState = "Ready" | "Error" | "Warning" | "Processing" | "Deleting";

export interface Plan {
  /**
   * Complete desired objects, as they would be applied. An object with a `metadata.name` is
   * applied (created or updated); one with only `metadata.generateName` is created.
   */
  apply: KubeObject[];
  /** Objects this CR owns that are no longer desired (identified by kind, namespace, name). */
  delete: KubeObject[];
  /** The CR with the finalizers and status the reconcile writes; undefined once it is gone. */
  cr: KubeObject | undefined;
  /** The CR's resulting state; `render` exits 1 unless every CR ends `Ready`. */
  state: CRState;
  /** The status description (for the `render` error line). */
  description: string;
  /**
   * False when the reconcile stops early and would be retried before it touched anything
   * (the operator requeues; `render` reports it like an error).
   */
  complete: boolean;
}

export interface PlanOptions {
  /** The reconcile time, for `lastProcessedTime` and condition timestamps. */
  now: Date;
}

/** A planner for one kind: pure, total (never throws for any object or snapshot). */
export type Planner = (cr: KubeObject, snapshot: Snapshot, options: PlanOptions) => Plan;
