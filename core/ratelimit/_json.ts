/** Guards for reading cluster objects, whose fields are only as typed as their source. */

/** Tells whether a value is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The string-valued entries of a map (labels, annotations, selectors); `{}` for anything else. */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === "string") out[key] = entry;
  }
  return out;
}

/**
 * Byte-wise ascending order of strings (Go's `sort.Strings`), never locale-dependent. UTF-16 code
 * unit order equals UTF-8 byte order for the ASCII names it sorts (labels, pods, headers).
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
