/**
 * The fixed window of a global limit kept in memory, with rate-limiter-flexible's semantics
 * (docs/spec/dataplane.md §6.4): the window of a key starts at its first request and lasts
 * `fillIntervalMs`; `maxTokens` requests fit in it.
 */
import type { GlobalTokenBucket } from "./global.ts";
import type { Take } from "./token_bucket.ts";

export interface WindowState {
  count: number;
  endsAtMs: number;
}

/** Counts one request at `nowMs`; the state is kept until `endsAtMs`. */
export function countWindow(
  state: WindowState | undefined,
  bucket: GlobalTokenBucket,
  nowMs: number,
): { take: Take; state: WindowState } {
  const current = state === undefined || state.endsAtMs <= nowMs
    ? { count: 0, endsAtMs: nowMs + bucket.fillIntervalMs }
    : state;
  const count = current.count + 1;
  const allowed = count <= bucket.maxTokens;
  const left = current.endsAtMs - nowMs;
  return {
    take: {
      allowed,
      remaining: Math.max(0, bucket.maxTokens - count),
      retryAfterMs: allowed ? 0 : left,
      fullAfterMs: left,
    },
    state: { count, endsAtMs: current.endsAtMs },
  };
}
