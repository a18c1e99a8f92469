/**
 * Go `time.Duration` text (`metav1.Duration`): `parseGoDuration()` follows `time.ParseDuration`
 * (https://pkg.go.dev/time#ParseDuration), `formatGoDuration()` follows `Duration.String()`.
 * Nanoseconds are `bigint`s, so every int64 value is exact and "multiple of" checks are exact.
 * Reasons name what is wrong; the CRDs' `format: duration` also admits days and weeks (`1d`),
 * which Go cannot decode, so those get an explicit hint.
 */
import { err, ok, type Result } from "./result.ts";

const MAX_NANOSECONDS = (1n << 63n) - 1n;

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

const SUPPORTED = "use ns, us, ms, s, m or h";

/**
 * Parses a Go duration (`50ms`, `1.5s`, `1m30s`, `-2h`, `0`) into nanoseconds. The reason names
 * what is wrong: the CRD's `format: duration` also admits days and weeks (`1d`, `2w`), which Go
 * cannot decode, so those get an explicit hint instead of a generic error.
 *
 * @example parseGoDuration("1m30s") // ok(90_000_000_000n)
 */
export function parseGoDuration(text: string): Result<bigint, string> {
  const invalid = err(`not a valid duration (for example 50ms, 1.5s or 1m30s)`);
  let rest = text;
  const negative = rest.startsWith("-");
  if (negative || rest.startsWith("+")) rest = rest.slice(1);
  if (rest === "0") return ok(0n);
  if (rest === "") return invalid;
  let total = 0n;
  while (rest !== "") {
    const element = /^(\d*)(?:\.(\d*))?([^\d.]*)/.exec(rest);
    if (element === null) return invalid;
    const [whole, digits = "", fraction = "", unitText = ""] = element;
    if (digits === "" && fraction === "") return invalid;
    if (unitText === "") return err(`missing unit (${SUPPORTED})`);
    const unit = UNITS[unitText];
    if (unit === undefined) {
      return err(`unit ${JSON.stringify(unitText)} is not supported (${SUPPORTED})`);
    }
    total += BigInt(digits || "0") * unit + fractionOf(fraction, unit);
    if (total > MAX_NANOSECONDS + (negative ? 1n : 0n)) return err("duration out of range");
    rest = rest.slice(whole.length);
  }
  return ok(negative ? -total : total);
}

// Exact, truncated like Go; Go scales long fractions in float64, which can differ by a
// nanosecond for fractions with more digits than the unit has nanoseconds.
function fractionOf(digits: string, unit: bigint): bigint {
  if (digits === "") return 0n;
  return (BigInt(digits) * unit) / 10n ** BigInt(digits.length);
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
