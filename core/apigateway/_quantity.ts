/**
 * Kubernetes resource quantities (`500m`, `16Gi`, `1e3`) as plain numbers, precise enough to
 * compare cluster capacity with a threshold.
 * See https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */

/** Decimal suffixes as powers of ten, so that `3800m` is exactly `3.8`. */
const DECIMAL: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|([a-zA-Z]*))$/;

/** The value of a quantity (a string, or a number as YAML may give it); undefined if malformed. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = QUANTITY.exec(value.trim());
  if (match === null) return undefined;
  const [, digits = "", exponent, suffix = ""] = match;
  if (exponent !== undefined) return Number(digits + exponent);
  const power = DECIMAL[suffix];
  if (power !== undefined) return Number(`${digits}e${power}`);
  const factor = BINARY[suffix];
  return factor === undefined ? undefined : Number(digits) * factor;
}
