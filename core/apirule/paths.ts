/**
 * APIRule v2 rule paths (docs/spec/apirule-v2.md §9.3, §10.2): the VirtualService URI match and the
 * AuthorizationPolicy path template of one rule path.
 */
import type { StringMatch } from "../istio/types.ts";

export const WILDCARD_PATH = "/*";

/** `{**}`: zero or more characters of any number of segments. */
export const MULTI_SEGMENT = "([A-Za-z0-9-._~!$&'()*+,;=:@/]|%[0-9a-fA-F]{2})*";
/** `{*}`: one or more characters within one segment. */
export const ONE_SEGMENT = "([A-Za-z0-9-._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+";

// Characters the path grammar allows in literal segments that mean something in RE2.
// Upstream leaves them unescaped (defect D2: `/file.txt` also matches `/fileXtxt`).
const REGEX_META = /[.$()+*?^[\]{}|\\]/g;

/** The VirtualService `uri` match of a rule path: `prefix: /` for `/*`, else an anchored regex. */
export function uriMatch(path: string): StringMatch {
  if (path === WILDCARD_PATH) return { prefix: "/" };
  return { regex: `^${pathRegex(path)}$` };
}

/** The regex body for a path: operators replaced, every literal character escaped. */
export function pathRegex(path: string): string {
  return path.split(/(\{\*\*\}|\{\*\})/).map((part) => {
    if (part === "{**}") return MULTI_SEGMENT;
    if (part === "{*}") return ONE_SEGMENT;
    return part.replace(REGEX_META, "\\$&");
  }).join("");
}

/** The AuthorizationPolicy path of a rule path: Istio templates pass through, `/*` is `/{**}`. */
export function policyPath(path: string): string {
  return path === WILDCARD_PATH ? "/{**}" : path;
}

/** Tells whether a path matches every request path (`/*` and `/{**}`). */
export function isCatchAll(path: string): boolean {
  return path === WILDCARD_PATH || path === "/{**}";
}
