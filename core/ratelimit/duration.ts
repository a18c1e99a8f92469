/**
 * Fill intervals: Go `time.Duration` text as the RateLimit controller decodes it
 * (`metav1.Duration`, i.e. `time.ParseDuration`), kept as exact nanoseconds so that the
 * "multiple of the default interval" check is exact, and printed the way Envoy's patch gets it.
 * See https://pkg.go.dev/time#ParseDuration
 */
import { err, ok, type Result } from "../result.ts";

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
 * @example parseDuration("1m30s") // ok(90_000_000_000n)
 */
export function parseDuration(text: string): Result<bigint, string> {
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

/**
 * Prints an interval as Envoy's patch gets it from upstream, `fmt.Sprintf("%fs", d.Seconds())`:
 * seconds with exactly six decimals (`50ms` → `0.050000s`, `1m30s` → `90.000000s`). Rounds the
 * exact value half to even; Go rounds the float64 nearest to it, which can only differ when the
 * sub-microsecond remainder is exactly 500ns.
 */
export function formatSeconds(nanoseconds: bigint): string {
  const negative = nanoseconds < 0n;
  const abs = negative ? -nanoseconds : nanoseconds;
  let micros = abs / 1_000n;
  const remainder = abs % 1_000n;
  if (remainder > 500n || (remainder === 500n && micros % 2n === 1n)) micros += 1n;
  const seconds = micros / 1_000_000n;
  const fraction = (micros % 1_000_000n).toString().padStart(6, "0");
  return `${negative && micros > 0n ? "-" : ""}${seconds}.${fraction}s`;
}
