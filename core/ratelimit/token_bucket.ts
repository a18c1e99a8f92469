/**
 * The token bucket of a global limit, as a pure step (DP-RL-2, DP-RL-3): the semantics of Envoy's
 * local buckets since envoyproxy/envoy#35207 — full at first, `tokensPerFill` added per whole
 * `fillInterval` since the last fill (lazily, when the bucket is read), never above `maxTokens`,
 * one token per request. The Redis Lua script (`proxy/ratelimit/token_bucket.lua.ts`) is the
 * same arithmetic on Redis time; the in-memory store runs this one on a monotonic clock.
 */
import type { GlobalTokenBucket } from "./global.ts";

/** What a bucket holds between requests: tokens at `lastFillMs`. */
export interface BucketState {
  tokens: number;
  lastFillMs: number;
}

/** The answer for one request. */
export interface Take {
  allowed: boolean;
  /** Tokens left after this request. */
  remaining: number;
  /** When denied: ms until enough tokens are back; else 0. */
  retryAfterMs: number;
  /** Ms until the bucket is full again (0 when full): how long its state must be kept. */
  fullAfterMs: number;
}

/** Takes `cost` tokens at `nowMs`; the new state is `undefined` once the bucket is full. */
export function takeToken(
  state: BucketState | undefined,
  bucket: GlobalTokenBucket,
  nowMs: number,
  cost = 1,
): { take: Take; state: BucketState | undefined } {
  const { maxTokens, tokensPerFill, fillIntervalMs } = bucket;
  let tokens = state?.tokens ?? maxTokens;
  let last = state?.lastFillMs ?? nowMs;
  if (nowMs > last) {
    const fills = Math.floor((nowMs - last) / fillIntervalMs);
    if (fills > 0) {
      tokens = Math.min(maxTokens, tokens + fills * tokensPerFill);
      last += fills * fillIntervalMs;
    }
  }
  if (tokens >= maxTokens) last = nowMs;
  const allowed = tokens >= cost;
  if (allowed) tokens -= cost;
  const since = Math.max(0, nowMs - last);
  const missing = maxTokens - tokens;
  const fullAfterMs = missing > 0 ? Math.ceil(missing / tokensPerFill) * fillIntervalMs - since : 0;
  const retryAfterMs = allowed
    ? 0
    : Math.ceil((cost - tokens) / tokensPerFill) * fillIntervalMs - since;
  return {
    take: { allowed, remaining: tokens, retryAfterMs, fullAfterMs },
    state: missing > 0 ? { tokens, lastFillMs: last } : undefined,
  };
}
