/**
 * Judging of conformance cases (tests/fixtures/conformance/README.md, "How a case is judged"):
 * the expected value is a subset of the actual one. Maps match when every listed key matches,
 * lists must have the same length and match element by element in order, `null` means "absent",
 * and scalars compare in text form (`8000` matches `"8000"`).
 */

export interface MatchOptions {
  /** Paths (as reported in mismatches, e.g. `metadata.labels.gateway.kyma-project.io/hash`) not compared. */
  skip?: (path: string) => boolean;
}

/**
 * Every way `actual` fails to contain `expected`, one line per mismatch naming its path;
 * empty when it matches.
 *
 * @example matchSubset({ spec: { rules: null } }, output, "") // ["spec.rules: expected absent, got a list"]
 */
export function matchSubset(
  expected: unknown,
  actual: unknown,
  path = "",
  options: MatchOptions = {},
): string[] {
  if (options.skip?.(path)) return [];
  if (expected === null || expected === undefined) {
    return actual === null || actual === undefined
      ? []
      : [`${where(path)}: expected absent, got ${show(actual)}`];
  }
  if (actual === null || actual === undefined) {
    return [`${where(path)}: missing, expected ${show(expected)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${where(path)}: expected a list, got ${show(actual)}`];
    if (expected.length !== actual.length) {
      return [`${where(path)}: expected ${expected.length} items, got ${actual.length}`];
    }
    return expected.flatMap((item, index) =>
      matchSubset(item, actual[index], `${path}[${index}]`, options)
    );
  }
  if (isRecord(expected)) {
    if (!isRecord(actual)) return [`${where(path)}: expected a map, got ${show(actual)}`];
    return Object.keys(expected).flatMap((key) =>
      matchSubset(expected[key], actual[key], path === "" ? key : `${path}.${key}`, options)
    );
  }
  if (typeof actual === "object") {
    return [`${where(path)}: expected ${show(expected)}, got ${show(actual)}`];
  }
  return String(expected) === String(actual)
    ? []
    : [`${where(path)}: expected ${show(expected)}, got ${show(actual)}`];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function where(path: string): string {
  return path === "" ? "(root)" : path;
}

function show(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (isRecord(value)) return "a map";
  return JSON.stringify(value) ?? String(value);
}
