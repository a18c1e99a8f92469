/**
 * v1beta1 rule paths (anchored regexes, `/*` a prefix) rewritten as APIRule v2 path templates,
 * only where the set of canonical request paths each matches is the same. Canonical paths
 * (core/authz/canonical.ts) hold only `[A-Za-z0-9-._~!$&'()*+,;=:@/]` and valid `%XX`, which is
 * exactly the alphabet of `{**}` and, without `/`, of `{*}`; so over canonical paths
 * `/.*` ≡ `/{**}`, `/a/.*` ≡ `/a/{**}` and a whole segment `[^/]+` ≡ `{*}`.
 */
import type { Result } from "../result.ts";

/** One rewrite of a path, for the report; `narrowed` lists literal `.`s that matched anything. */
export interface PathRewrite {
  template: string;
  /** What changed, in words; empty when the path is kept as written. */
  changes: string[];
  /** Indexes (in `template`) of `.` characters that were unescaped regex dots in v1beta1. */
  narrowedDots: number[];
}

// Characters a v2 literal segment may hold (docs/spec/apirule-v2.md App. A2), minus `/`.
const V2_LITERAL = /^[A-Za-z0-9\-._~!$&'()+,;=:@]$/;
// Characters that mean nothing special in a regex and may stand unescaped.
const PLAIN = /^[A-Za-z0-9\-_~!&',;=:@/%]$/;

/**
 * The v2 template of a v1beta1 path, or why it has none.
 *
 * @example pathTemplate("/foo/.*") // ok: "/foo/{**}"
 */
export function pathTemplate(path: string): Result<PathRewrite, string> {
  if (path === "/*") return { ok: true, value: { template: "/*", changes: [], narrowedDots: [] } };
  const refuse = (why: string): Result<PathRewrite, string> => ({
    ok: false,
    error: `path "${path}" has no v2 template with the same matches: ${why}`,
  });
  let body = path;
  // `^` and `$` are redundant: the route match is anchored already.
  if (body.startsWith("^")) body = body.slice(1);
  if (body.endsWith("$") && !body.endsWith("\\$")) body = body.slice(0, -1);
  if (!body.startsWith("/")) return refuse("it does not start with /");
  let template = "";
  const changes: string[] = [];
  const narrowedDots: number[] = [];
  let i = 0;
  while (i < body.length) {
    const rest = body.slice(i);
    const atSegmentStart = template.endsWith("/");
    if (rest === ".*") {
      if (!atSegmentStart) return refuse('".*" is not a whole trailing segment');
      template += "{**}";
      changes.push(`"${template.slice(0, -4)}.*" → "${template}"`);
      break;
    }
    if (rest.startsWith("[^/]+")) {
      const next = body[i + 5];
      if (!atSegmentStart || (next !== undefined && next !== "/")) {
        return refuse('"[^/]+" is not a whole segment');
      }
      template += "{*}";
      changes.push(`segment "[^/]+" → "{*}"`);
      i += 5;
      continue;
    }
    const char = body[i]!;
    if (char === "\\") {
      const escaped = body[i + 1];
      if (escaped === undefined) return refuse("it ends in a lone backslash");
      if (/[A-Za-z0-9]/.test(escaped)) {
        return refuse(`"\\${escaped}" is a character class, not a literal`);
      }
      if (!V2_LITERAL.test(escaped) && escaped !== "/") {
        return refuse(`"${escaped}" is not allowed in a v2 path`);
      }
      template += escaped;
      i += 2;
      continue;
    }
    if (char === ".") {
      const next = body[i + 1];
      if (next === "*" || next === "+" || next === "?") {
        return refuse(`".${next}" inside a segment has no template form`);
      }
      // An unescaped dot matched any one character; in v2 it is a literal dot.
      narrowedDots.push(template.length);
      template += ".";
      i += 1;
      continue;
    }
    if (!PLAIN.test(char)) {
      return refuse(`"${char}" is regex syntax with no template form`);
    }
    if (char === "%") return refuse('"%" escapes are decoded before matching');
    template += char;
    i += 1;
  }
  if (template.includes("//")) return refuse("it has an empty segment");
  if (narrowedDots.length > 0) {
    changes.push(
      `${narrowedDots.length} unescaped "." now match only "." (they matched any character)`,
    );
  }
  return { ok: true, value: { template, changes, narrowedDots } };
}
