/** Guards for reading the `unknown` parts of cluster objects without casts. */

/** A plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a path of object keys, or undefined when any step is missing or not an object. */
export function valueAt(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** The string at a path, or undefined. */
export function stringAt(value: unknown, ...path: string[]): string | undefined {
  const found = valueAt(value, ...path);
  return typeof found === "string" ? found : undefined;
}

/** The list at a path (`[]` when absent or not a list). */
export function listAt(value: unknown, ...path: string[]): unknown[] {
  const found = valueAt(value, ...path);
  return Array.isArray(found) ? found : [];
}

/** The strings of the list at a path (other items dropped). */
export function stringsAt(value: unknown, ...path: string[]): string[] {
  return listAt(value, ...path).filter((item): item is string => typeof item === "string");
}

/** Milliseconds since the epoch of an RFC 3339 time, or undefined when absent or unparseable. */
export function timeOf(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
