/**
 * What the semantic checks return: upstream-style failures (attribute path with a leading dot,
 * `.spec.rules[0].path`, and upstream's message) plus notes about checks that were skipped
 * because a cluster fact was unknown.
 */

/** One failed check, as upstream reports it. */
export interface Failure {
  /** Upstream notation: `.spec.rules[0].path` (leading dot), or `spec.gateway` for discovery. */
  attributePath: string;
  message: string;
}

/** The outcome of a group of checks: every failure, and a note per skipped check. */
export interface Checked {
  failures: Failure[];
  notes: string[];
}

/** A passing outcome with nothing to note. */
export function passed(): Checked {
  return { failures: [], notes: [] };
}

/** An outcome of just these failures. */
export function failed(...failures: Failure[]): Checked {
  return { failures, notes: [] };
}

/** A skipped check: no failure, one note. */
export function skipped(note: string): Checked {
  return { failures: [], notes: [note] };
}

/** Concatenates outcomes in order; each note appears once. */
export function merge(...parts: readonly Checked[]): Checked {
  const failures = parts.flatMap((p) => p.failures);
  const notes = [...new Set(parts.flatMap((p) => p.notes))];
  return { failures, notes };
}
