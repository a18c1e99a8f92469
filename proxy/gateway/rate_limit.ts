/**
 * Local rate limits of the embedded gateway: the RateLimit CRs' token buckets (checked by
 * `core/ratelimit`), applied as Envoy's `local_ratelimit` filter does (ratelimit.md §4,
 * dataplane.md §6.1): one bucket per descriptor and per process, refilled lazily, the first
 * extra bucket whose entries all match the request wins, else the default bucket.
 */
import type { Limits, TokenBucket } from "../../core/ratelimit/buckets.ts";
import { descriptorEntries, type DescriptorEntry } from "../../core/ratelimit/entries.ts";

/** One RateLimit as the gateway applies it. */
export interface RateLimitPolicy {
  /** `namespace/name`, the policy name in `RateLimit-Policy`. */
  name: string;
  /** Bucket state is kept across reloads while this key (name and buckets) is unchanged. */
  key: string;
  defaultBucket: TokenBucket;
  buckets: readonly { entries: readonly DescriptorEntry[]; bucket: TokenBucket }[];
  enforce: boolean;
  responseHeaders: boolean;
}

/** What a request presents to descriptor matching. */
export interface LimitedRequest {
  method: string;
  scheme: string;
  /** `:path` as Envoy sees it: the normalised path with the query. */
  path: string;
  headers: Headers;
}

export interface LimitVerdict {
  allowed: boolean;
  policy: string;
  bucket: string;
  limit: number;
  remaining: number;
  /** Seconds until the next fill. */
  resetSeconds: number;
  windowSeconds: number;
  responseHeaders: boolean;
}

/** Builds a policy from a checked RateLimit. */
export function rateLimitPolicy(
  name: string,
  limits: Limits,
  options: { enforce: boolean; responseHeaders: boolean },
): RateLimitPolicy {
  const buckets = limits.buckets.map((limit) => ({
    entries: descriptorEntries(limit.path, limit.headers),
    bucket: limit.bucket,
  }));
  const key = JSON.stringify([name, limits.defaultBucket, buckets, options], bigints);
  return { name, key, defaultBucket: limits.defaultBucket, buckets, ...options };
}

interface BucketState {
  tokens: number;
  /** Time (ms) of the last fill boundary. */
  last: number;
}

/** Bucket state of every policy, across config reloads. */
export interface Limiter {
  /** Takes one token from the bucket the request selects in each policy; the first refusal wins. */
  take(policies: readonly RateLimitPolicy[], request: LimitedRequest, now: number): LimitVerdict[];
  /** Drops the state of policies no longer configured. */
  retain(keys: ReadonlySet<string>): void;
}

/** A limiter with empty state. */
export function createLimiter(): Limiter {
  const states = new Map<string, BucketState>();
  return {
    take(policies, request, now) {
      const verdicts: LimitVerdict[] = [];
      for (const policy of policies) {
        const index = policy.buckets.findIndex((b) => matches(b.entries, request));
        const bucket = index === -1 ? policy.defaultBucket : policy.buckets[index]!.bucket;
        const id = `${policy.key}#${index}`;
        let state = states.get(id);
        if (state === undefined) states.set(id, state = { tokens: bucket.maxTokens, last: now });
        const intervalMs = Number(bucket.fillInterval / 1_000_000n);
        refill(state, bucket, intervalMs, now);
        const allowed = state.tokens >= 1 || !policy.enforce;
        if (state.tokens >= 1) state.tokens--;
        verdicts.push({
          allowed,
          policy: policy.name,
          bucket: index === -1 ? "default" : `buckets[${index}]`,
          limit: bucket.maxTokens,
          remaining: Math.floor(state.tokens),
          resetSeconds: Math.max(1, Math.ceil((state.last + intervalMs - now) / 1000)),
          windowSeconds: Math.max(1, Math.round(intervalMs / 1000)),
          responseHeaders: policy.responseHeaders,
        });
        if (!allowed) break;
      }
      return verdicts;
    },
    retain(keys) {
      for (const id of states.keys()) {
        if (!keys.has(id.slice(0, id.lastIndexOf("#")))) states.delete(id);
      }
    },
  };
}

// Envoy ≥ 1.31 refills lazily on access (envoyproxy/envoy#35207): whole intervals only.
function refill(state: BucketState, bucket: TokenBucket, intervalMs: number, now: number): void {
  if (state.tokens >= bucket.maxTokens) {
    state.last = now;
    return;
  }
  const fills = Math.floor((now - state.last) / intervalMs);
  if (fills <= 0) return;
  state.tokens = Math.min(bucket.maxTokens, state.tokens + fills * bucket.tokensPerFill);
  state.last += fills * intervalMs;
}

function matches(entries: readonly DescriptorEntry[], request: LimitedRequest): boolean {
  for (const { key, value } of entries) {
    const actual = key === "path"
      ? request.path
      : key === "method"
      ? request.method
      : key === "scheme"
      ? request.scheme
      : request.headers.get(key);
    if (actual !== value) return false;
  }
  return true;
}

/**
 * Response headers of the verdicts: the Envoy `X-RateLimit-*` triplet where a policy enables
 * them (Kyma `enableResponseHeaders`), and on a refusal `Retry-After`, `RateLimit` and
 * `RateLimit-Policy` (dataplane.md DP-RL-1).
 */
export function limitHeaders(verdicts: readonly LimitVerdict[], headers: Headers): void {
  const shown = verdicts.find((v) => !v.allowed) ??
    verdicts.find((v) => v.responseHeaders);
  if (shown === undefined) return;
  if (shown.responseHeaders) {
    headers.set("x-ratelimit-limit", String(shown.limit));
    headers.set("x-ratelimit-remaining", String(shown.remaining));
    headers.set("x-ratelimit-reset", String(shown.resetSeconds));
  }
  if (shown.allowed) return;
  const name = `"${shown.policy}/${shown.bucket}"`;
  headers.set("retry-after", String(shown.resetSeconds));
  headers.set("ratelimit-policy", `${name};q=${shown.limit};w=${shown.windowSeconds}`);
  headers.set("ratelimit", `${name};r=${shown.remaining};t=${shown.resetSeconds}`);
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
