/**
 * Which parts of an object passed its schema. The semantic checks read only those parts, so a
 * malformed field is reported once (by the schema) and never crashes or confuses a later check.
 */
import type { Problem } from "../schema/problem.ts";

/** Tells whether no schema problem sits at `path` or below it. */
export function usableUnder(problems: readonly Problem[]): (path: string) => boolean {
  return (path) =>
    !problems.some((p) =>
      p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`)
    );
}

/** Tells whether no schema problem sits exactly at `path` (problems of its items are allowed). */
export function usableAt(problems: readonly Problem[]): (path: string) => boolean {
  return (path) => !problems.some((p) => p.path === path);
}
