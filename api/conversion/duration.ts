/**
 * Go `time.Duration` text, as the v1beta1 CORS `maxAge` carries it (a `metav1.Duration`):
 * `parseGoDuration()` follows `time.ParseDuration`, `formatGoDuration()` follows
 * `Duration.String()`. Nanoseconds are `bigint`s so that every int64 value is exact.
 * See https://pkg.go.dev/time#ParseDuration
 */
import type { Result } from "./_types.ts";

const MAX_DURATION = (1n << 63n) - 1n;

const UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n, // MICRO SIGN
  "\u03bcs": 1_000n, // GREEK SMALL LETTER MU
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Parses a Go duration (`1m30.5s`, `-2h`, `500ms`, `0`) into nanoseconds. */
export function parseGoDuration(text: string): Result<bigint, string> {
  const invalid: Result<bigint, string> = {
    ok: false,
    error: `invalid duration ${JSON.stringify(text)}`,
  };
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return { ok: true, value: 0n };
  if (s === "") return invalid;
  let total = 0n;
  while (s !== "") {
    const element = /^(\d*)(?:\.(\d*))?([^\d.]*)/.exec(s);
    if (element === null) return invalid;
    const [whole, intDigits = "", fracDigits, unitText = ""] = element;
    if (intDigits === "" && (fracDigits === undefined || fracDigits === "")) return invalid;
    const unit = UNITS[unitText];
    if (unitText === "" || unit === undefined) {
      return {
        ok: false,
        error: `${unitText === "" ? "missing" : `unknown unit ${JSON.stringify(unitText)} in`}` +
          ` duration ${JSON.stringify(text)}`,
      };
    }
    s = s.slice(whole.length);
    let value = BigInt(intDigits || "0");
    if (value > (1n << 63n) / unit) return invalid;
    value *= unit;
    if (fracDigits !== undefined && fracDigits !== "") value += fraction(fracDigits, unit);
    total += value;
    if (total > 1n << 63n) return invalid;
  }
  if (negative) return { ok: true, value: -total };
  return total > MAX_DURATION ? invalid : { ok: true, value: total };
}

// Go scales the fraction digits with float64 arithmetic and truncates; so does this, so that
// values with many fraction digits round exactly as upstream's.
function fraction(digits: string, unit: bigint): bigint {
  let f = 0n;
  let scale = 1;
  for (const digit of digits) {
    if (f > MAX_DURATION / 10n) break; // Go ignores digits that would overflow
    f = f * 10n + BigInt(digit);
    scale *= 10;
  }
  return BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
}

/** Formats nanoseconds as Go prints a duration: `1h0m0s`, `1m30.5s`, `500ms`, `0s`. */
export function formatGoDuration(nanoseconds: bigint): string {
  const negative = nanoseconds < 0n;
  let u = negative ? -nanoseconds : nanoseconds;
  let text: string;
  if (u === 0n) {
    text = "0s";
  } else if (u < 1_000n) {
    text = `${u}ns`;
  } else if (u < 1_000_000n) {
    text = `${u / 1_000n}${fractionText(u % 1_000n, 3)}\u00b5s`;
  } else if (u < 1_000_000_000n) {
    text = `${u / 1_000_000n}${fractionText(u % 1_000_000n, 6)}ms`;
  } else {
    const frac = fractionText(u % 1_000_000_000n, 9);
    u /= 1_000_000_000n;
    text = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      text = `${u % 60n}m${text}`;
      u /= 60n;
      if (u > 0n) text = `${u}h${text}`;
    }
  }
  return negative ? `-${text}` : text;
}

function fractionText(value: bigint, digits: number): string {
  if (value === 0n) return "";
  return "." + value.toString().padStart(digits, "0").replace(/0+$/, "");
}
