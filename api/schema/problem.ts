/**
 * A validation problem: where (field path in apiserver notation, `spec.rules[0].path`), what kind,
 * and the message the apiserver would print for it.
 */
export type ProblemType =
  | "Required"
  | "Invalid"
  | "Unsupported"
  | "TooMany"
  | "TooLong"
  | "TypeInvalid"
  | "Unknown"
  | "Forbidden";

export interface Problem {
  /** Field path in apiserver notation: `spec.rules[0].path`, no leading dot. */
  path: string;
  type: ProblemType;
  /** The reason alone, without the path: `Required value`, `Invalid value: 4000: …`. */
  detail: string;
  /** For a failed CEL rule: the rule's message. */
  celMessage?: string;
}

/** `spec.rules[0].path: Required value`: how the apiserver prints a field error. */
export function formatProblem(problem: Problem): string {
  return problem.path === "" ? problem.detail : `${problem.path}: ${problem.detail}`;
}

/** Renders a value the way Go's `%#v`-like field errors show it: strings quoted, others as JSON. */
export function showValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return "null";
  if (typeof value === "object") return Array.isArray(value) ? '"array"' : '"object"';
  return String(value);
}

/** Joins a child key to a field path (`spec` + `rules` → `spec.rules`). */
export function childPath(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Joins a list index to a field path (`spec.rules` + 0 → `spec.rules[0]`). */
export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}
