/**
 * The request headers and cookies an APIRule v2 rule sets upstream (`rules[].request`): checked
 * as valid HTTP fields when the config compiles, rendered once per route.
 */
import type { Rule } from "../../api/apirule/v2.ts";

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** docs/spec/dataplane.md §8 #14: header names and values the gateway sets must be valid HTTP fields. */
export function invalidHeader(rule: Rule): string | undefined {
  const fields = [
    ...Object.entries(rule.request?.headers ?? {}),
    ...Object.entries(rule.request?.cookies ?? {}).map(([k, v]) => [`cookie ${k}`, `${k}=${v}`]),
  ];
  for (const [name, value] of fields) {
    const bare = name!.replace(/^cookie /, "");
    if (!TOKEN.test(bare)) return `Header or cookie name ${JSON.stringify(bare)} is not a token`;
    if (!FIELD_VALUE.test(value!)) {
      return `Value of ${JSON.stringify(bare)} has a control character (CR, LF, NUL)`;
    }
  }
  return undefined;
}

/** §9.4: the rule's request headers, then its cookies as one `Cookie` header (sorted). */
export function requestHeaders(rule: Rule): [string, string][] {
  const set = new Map<string, string>();
  for (const [name, value] of Object.entries(rule.request?.headers ?? {})) {
    set.set(name.toLowerCase(), value);
  }
  const cookies = Object.entries(rule.request?.cookies ?? {});
  if (cookies.length > 0) {
    set.set(
      "cookie",
      cookies.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`)
        .join("; "),
    );
  }
  return [...set];
}
