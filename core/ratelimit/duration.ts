/**
 * Fill intervals as Envoy's patch gets them (parsing is Go's: `api/duration.ts`). Prints an interval as Envoy's patch gets it from upstream, `fmt.Sprintf("%fs", d.Seconds())`:
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
