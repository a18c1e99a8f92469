/**
 * The author-written regexes of an APIRule that Envoy matches with RE2 (issue 14): v1beta1 rule
 * paths and `corsPolicy.allowOrigins` regexes of every version. A pattern RE2 refuses is a
 * failure of its field; validation, admission, the operator's status and `apigw authz`/`apigw
 * serve` at load all report it with the same text (api/safe_regex.ts).
 */
import { safeRegexProblem } from "../safe_regex.ts";
import type { Failure } from "./failure.ts";
import { isRecord } from "./_guards.ts";

/**
 * One failure per `regex` entry of `allowOrigins` that RE2 refuses; `attributePath` continues
 * `prefix` (`.spec.corsPolicy` in upstream notation, `spec.corsPolicy` at load).
 */
export function allowOriginsFailures(prefix: string, allowOrigins: unknown): Failure[] {
  if (!Array.isArray(allowOrigins)) return [];
  return allowOrigins.flatMap((entry, index): Failure[] => {
    const pattern = isRecord(entry) ? entry.regex : undefined;
    if (typeof pattern !== "string") return [];
    const message = safeRegexProblem(pattern);
    return message === undefined
      ? []
      : [{ attributePath: `${prefix}.allowOrigins[${index}].regex`, message }];
  });
}

/** The failure of a v1beta1 rule path RE2 refuses (`/*` is a prefix match, never a regex). */
export function v1beta1PathFailures(attributePath: string, path: string): Failure[] {
  if (path === "/*") return [];
  const message = safeRegexProblem(path);
  return message === undefined ? [] : [{ attributePath, message }];
}
