/** Reading fields of untyped Kubernetes JSON without casts. */

export type JsonObject = Record<string, unknown>;

/** Tells whether `value` is a plain JSON object. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path` (object keys or array indexes), or `undefined`. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === "number") {
      current = Array.isArray(current) ? current[key] : undefined;
    } else {
      current = isObject(current) ? current[key] : undefined;
    }
  }
  return current;
}

/** The string at `path`, or `undefined`. */
export function str(value: unknown, ...path: (string | number)[]): string | undefined {
  const found = at(value, ...path);
  return typeof found === "string" ? found : undefined;
}

/** The array at `path`, or an empty array. */
export function list(value: unknown, ...path: (string | number)[]): unknown[] {
  const found = at(value, ...path);
  return Array.isArray(found) ? found : [];
}
