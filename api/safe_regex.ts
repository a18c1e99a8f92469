/**
 * Regexes that APIRule authors write (v1beta1 rule paths, CORS `allowOrigins` regexes), compiled
 * and matched with RE2 semantics in linear time (issue 14, docs/spec/dataplane.md §8 #35). Envoy matches
 * the rendered VirtualService with RE2 too, so a pattern this refuses is one Envoy would refuse,
 * and one this accepts means the same thing in the mesh and in apigw. The engine is `re2js`, a
 * JavaScript port of RE2: no backtracking, so no input makes a match slower than linear
 * (bench/README.md, "regex").
 */
import { RE2JS } from "re2js";
import { LruCache } from "./lru_cache.ts";
import type { Result } from "./result.ts";

// Characters with a meaning in RE2 syntax; a pattern without any is a literal.
const RE2_META = /[\\.+*?()|[\]{}^$]/;

/** A compiled author regex; `matches` is a full match, as Envoy's `safe_regex`. */
export interface SafeRegex {
  readonly source: string;
  matches(input: string): boolean;
}

/**
 * Compiles `pattern` with RE2 syntax. The error is the status text apigw reports for the field:
 * `"<pattern>" is not a valid RE2 regular expression: <what RE2 says>`.
 */
export function compileSafeRegex(pattern: string): Result<SafeRegex, string> {
  // Most v1beta1 paths are plain (`/headers`): a full match of a literal is string equality.
  if (!RE2_META.test(pattern)) {
    return { ok: true, value: { source: pattern, matches: (input) => input === pattern } };
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    return { ok: false, error: refusal(pattern, error) };
  }
  return {
    ok: true,
    // `testExact()`: the full match on the DFA, without capture groups (`matches()` runs the NFA).
    value: { source: pattern, matches: (input) => compiled.testExact(input) },
  };
}

// Admission and every reconcile ask again about the same CORS and path patterns; compiling one
// is most of the CPU of checking it. Only verdicts (strings) are kept, for patterns short enough
// that the bound on entries is a bound on memory too; a longer pattern is compiled every time.
const PROBLEMS = new LruCache<string, string | undefined>(256);
const CACHED_PATTERN_LENGTH = 1024;

/** The status text for a pattern RE2 refuses, or undefined when it compiles. */
export function safeRegexProblem(pattern: string): string | undefined {
  if (pattern.length > CACHED_PATTERN_LENGTH) return compileProblem(pattern);
  return PROBLEMS.getOrCompute(pattern, compileProblem);
}

function compileProblem(pattern: string): string | undefined {
  const compiled = compileSafeRegex(pattern);
  return compiled.ok ? undefined : compiled.error;
}

function refusal(pattern: string, error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const reason = raw.replace(/^error parsing regexp: /, "");
  return `${JSON.stringify(pattern)} is not a valid RE2 regular expression: ${reason}`;
}
