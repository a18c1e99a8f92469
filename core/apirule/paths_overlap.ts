/**
 * Whether two APIRule v2 paths can match a common request path. Paths are `/`-separated segments
 * that are literals, `{*}` (one non-empty segment) or a final `{**}` (any rest, `/` included);
 * `/*` means `/{**}`.
 */

function segments(path: string): string[] {
  const normalized = path === "/*" ? "/{**}" : path;
  return normalized.slice(1).split("/");
}

/** Tells whether some request path matches both `a` and `b`. */
export function pathsOverlap(a: string, b: string): boolean {
  return overlap(segments(a), segments(b), 0);
}

function overlap(a: readonly string[], b: readonly string[], i: number): boolean {
  const x = a[i];
  const y = b[i];
  if (x === "{**}") return i < b.length;
  if (y === "{**}") return i < a.length;
  if (x === undefined || y === undefined) return x === undefined && y === undefined;
  if (!segmentsOverlap(x, y)) return false;
  return overlap(a, b, i + 1);
}

function segmentsOverlap(x: string, y: string): boolean {
  if (x === "{*}") return y !== "";
  if (y === "{*}") return x !== "";
  return x === y;
}
