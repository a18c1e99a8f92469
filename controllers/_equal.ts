/** Structural equality of JSON values (key order ignored), for "did the status change". */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ka = Object.keys(a).filter((k) => get(a, k) !== undefined);
  const kb = Object.keys(b).filter((k) => get(b, k) !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual(get(a, k), get(b, k)));
}

function get(object: object, key: string): unknown {
  return Object.getOwnPropertyDescriptor(object, key)?.value;
}
