/**
 * The one store of a reloadable config, for `apigw authz` (rule index and global limits) and
 * `apigw serve` (gateway config) alike: snapshots are compiled off the request path (in the
 * config worker when it could, else here) and swapped in whole (STYLE §6). One reload rule:
 *
 * - the first load serves what is valid and reports the rest (`Not serving object`);
 * - a later snapshot that cannot be read, or that has a problem the serving config did not have,
 *   is rejected: each new problem is reported (`Invalid object`: object, field, reason), then
 *   `Rejected config; keeping the last good one`, and the last good config keeps serving;
 * - anything else is swapped in;
 * - except for a cluster's snapshot (`independent`: its objects were admitted one by one, and a
 *   folder's are written together): there a refused object is reported (`Not serving object`,
 *   once per new problem) and skipped, and the rest is swapped in, so that one namespace's object
 *   can never freeze every other namespace's changes, revocations included.
 *
 * Refusals reach the observers the same way for both front ends: `onReload` (metrics) and
 * `onLoad` (the dashboard's "last reload").
 */
import type { Logger } from "../lib/log.ts";
import type { Compiled, ConfigProblem } from "./config_problem.ts";
import type { Snapshot } from "./rule_source.ts";

export type { Compiled, ConfigProblem };

export interface SnapshotStore<T> {
  current(): T;
  /** True once a snapshot was swapped in. */
  ready(): boolean;
  /** Compiles `snapshot` and swaps it in, or keeps the current config; true when swapped. */
  load(snapshot: Snapshot): boolean;
}

export interface SnapshotStoreDeps<T> {
  /** Served until the first snapshot. */
  empty: T;
  compile(snapshot: Extract<Snapshot, { ok: true }>): Compiled<T>;
  /** Rules or routes of a config, for the logs and observers. */
  size(value: T): number;
  log: Logger;
  /** Called after every load (metrics): outcome, size served, problems of the snapshot. */
  onReload?: (outcome: "ok" | "rejected", size: number, problems: number) => void;
  /** Called after every load with what it refused (the dashboard's "last reload"). */
  onLoad?: (outcome: "ok" | "rejected", size: number, refused: readonly ConfigProblem[]) => void;
  /** Called with every config swapped in (fetch its JWKS, log what it serves). */
  onSwap?: (value: T, compiled: Compiled<T>) => void;
}

/** A store serving `deps.empty` until the first snapshot. */
export function createSnapshotStore<T>(deps: SnapshotStoreDeps<T>): SnapshotStore<T> {
  let value = deps.empty;
  let known: ReadonlySet<string> | undefined;
  function reject(refused: readonly ConfigProblem[], problems: number): false {
    deps.onReload?.("rejected", deps.size(value), problems);
    deps.onLoad?.("rejected", deps.size(value), refused);
    return false;
  }
  return {
    current: () => value,
    ready: () => known !== undefined,
    load(snapshot) {
      if (!snapshot.ok) {
        deps.log.error("Rejected config; keeping the last good one", { reason: snapshot.error });
        return reject([{ object: "(config)", reason: snapshot.error }], 0);
      }
      const compiled = deps.compile(snapshot);
      const keys = new Set(compiled.problems.map(problemKey));
      const fresh = known === undefined
        ? []
        : compiled.problems.filter((p) => !known!.has(problemKey(p)));
      if (fresh.length > 0 && snapshot.independent !== true) {
        for (const problem of fresh) deps.log.error("Invalid object", { ...problem });
        deps.log.error("Rejected config; keeping the last good one", {
          problems: fresh.length,
          serving: deps.size(value),
        });
        return reject(fresh, compiled.problems.length);
      }
      if (known === undefined || snapshot.independent === true) {
        for (const problem of known === undefined ? compiled.problems : fresh) {
          deps.log.warn("Not serving object", { ...problem });
        }
      }
      for (const warning of compiled.warnings ?? []) {
        deps.log.warn("Serving with a difference", { ...warning });
      }
      value = compiled.value;
      known = keys;
      deps.onReload?.("ok", deps.size(value), compiled.problems.length);
      deps.onLoad?.("ok", deps.size(value), compiled.problems);
      deps.onSwap?.(value, compiled);
      return true;
    },
  };
}

function problemKey(problem: ConfigProblem): string {
  return JSON.stringify([problem.object, problem.field ?? "", problem.reason]);
}
