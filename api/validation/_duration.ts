/**
 * Go's `time.ParseDuration`, which upstream uses to read RateLimit fill intervals: decimal
 * numbers with an optional fraction, each followed by a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`,
 * `h`), such as `50ms`, `1.5s` or `1m30s` (https://pkg.go.dev/time#ParseDuration). The reasons
 * match the RateLimit planner's (`core/ratelimit/duration.ts`), so `validate` and `render` agree.
 */

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
const MAX = (1n << 63n) - 1n;

/** Nanoseconds, or why the text is not a Go duration. */
export type Parsed = { ok: true; value: bigint } | { ok: false; error: string };

/** The duration in nanoseconds, or why Go could not read `text`. */
export function parseGoDuration(text: string): Parsed {
  const invalid: Parsed = {
    ok: false,
    error: "not a valid duration (for example 50ms, 1.5s or 1m30s)",
  };
  let rest = text;
  const negative = rest.startsWith("-");
  if (negative || rest.startsWith("+")) rest = rest.slice(1);
  if (rest === "0") return { ok: true, value: 0n };
  if (rest === "") return invalid;
  let total = 0n;
  while (rest !== "") {
    const match = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/.exec(rest);
    if (match === null) return invalid;
    const [all, whole = "", fraction = "", unitName = ""] = match;
    if (whole === "" && fraction === "") return invalid;
    if (unitName === "") return { ok: false, error: `missing unit (${SUPPORTED})` };
    const unit = UNITS[unitName];
    if (unit === undefined) {
      return {
        ok: false,
        error: `unit ${JSON.stringify(unitName)} is not supported (${SUPPORTED})`,
      };
    }
    total += BigInt(whole || "0") * unit;
    if (fraction !== "") total += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    if (total > MAX + (negative ? 1n : 0n)) return { ok: false, error: "duration out of range" };
    rest = rest.slice(all.length);
  }
  return { ok: true, value: negative ? -total : total };
}
