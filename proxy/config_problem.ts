/** The problems of a compiled config snapshot, and the compiled snapshot (`snapshot_store.ts`). */

/** Why an object of a config snapshot is not (fully) served: object, field (when known), reason. */
export interface ConfigProblem {
  object: string;
  field?: string;
  reason: string;
}

/** A compiled snapshot: what it serves, what it does not and what it serves with a difference. */
export interface Compiled<T> {
  value: T;
  problems: readonly ConfigProblem[];
  warnings?: readonly ConfigProblem[];
}
