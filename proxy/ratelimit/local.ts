/**
 * Local rate limits (RateLimit `spec.local`) as the embedded gateway applies them, the way Envoy's
 * `local_ratelimit` filter does (docs/spec/ratelimit.md §4, docs/spec/dataplane.md §6.1): one bucket per descriptor
 * and per process. Everything but the key is the global limiter's: `selectBucket` (first extra
 * bucket whose entries all match, else the default), the token bucket of
 * `core/ratelimit/token_bucket.ts` through the in-memory `BucketStore`, and the `RateLimit` fields
 * of `core/ratelimit/rate_limit_headers.ts`.
 */
import type { Limits, TokenBucket } from "../../core/ratelimit/buckets.ts";
import {
  type GlobalTokenBucket,
  type LimitedRequest,
  selectBucket,
} from "../../core/ratelimit/global.ts";
import { rateLimitHeaders } from "../../core/ratelimit/rate_limit_headers.ts";
import type { Take } from "../../core/ratelimit/token_bucket.ts";
import type { MemoryBucketStore } from "./store.ts";

/** One bucket of a local limit; `policy` (`namespace/name/bucket`) names it in headers. */
export interface LocalBucket {
  /** `default` or the index in `spec.local.buckets`. */
  name: string;
  policy: string;
  bucket: GlobalTokenBucket;
  path?: string;
  headers: Readonly<Record<string, string>>;
  /** The bucket's state key: unchanged across reloads while the RateLimit's limits are. */
  key: string;
}

/** One RateLimit's `spec.local`. */
export interface LocalLimit {
  /** `namespace/name` of the RateLimit. */
  name: string;
  defaultBucket: LocalBucket;
  buckets: readonly LocalBucket[];
  enforce: boolean;
  responseHeaders: boolean;
}

/** The bucket a request drew from, and what it got. */
export interface LocalVerdict {
  limit: LocalLimit;
  bucket: LocalBucket;
  take: Take;
}

/** Builds a local limit from a checked RateLimit. */
export function localLimit(
  id: string,
  limits: Limits,
  options: { enforce: boolean; responseHeaders: boolean },
): LocalLimit {
  const version = JSON.stringify([limits, options], bigints);
  const bucketOf = (name: string, bucket: TokenBucket, path = "", headers = {}): LocalBucket => ({
    name,
    policy: `${id}/${name}`,
    bucket: {
      maxTokens: bucket.maxTokens,
      tokensPerFill: bucket.tokensPerFill,
      fillIntervalMs: Number(bucket.fillInterval) / 1_000_000,
    },
    ...(path !== "" ? { path } : {}),
    headers,
    key: `local:${id}/${name}:${version}`,
  });
  return {
    name: id,
    defaultBucket: bucketOf("default", limits.defaultBucket),
    buckets: limits.buckets.map((b, i) => bucketOf(String(i), b.bucket, b.path, b.headers)),
    ...options,
  };
}

/**
 * Takes one token from the bucket the request selects in each limit, in order; the first refusal
 * ends the run (later limits keep their tokens). A refusal in shadow mode (`enforce: false`)
 * counts and lets the request on.
 */
export function takeLocal(
  store: MemoryBucketStore,
  limits: readonly LocalLimit[],
  request: LimitedRequest,
): LocalVerdict[] {
  const verdicts: LocalVerdict[] = [];
  for (const limit of limits) {
    const bucket = selectBucket(limit, request);
    const take = store.take(bucket.key, bucket.bucket, "tokenBucket");
    verdicts.push({ limit, bucket, take });
    if (!take.allowed && limit.enforce) break;
  }
  return verdicts;
}

/** The verdict that refuses the request, if any. */
export function refusal(verdicts: readonly LocalVerdict[]): LocalVerdict | undefined {
  return verdicts.find((v) => !v.take.allowed && v.limit.enforce);
}

/**
 * Response headers of the verdicts: the Envoy `X-RateLimit-*` triplet where a limit enables them
 * (Kyma `enableResponseHeaders`), and on a refusal `Retry-After`, `RateLimit` and
 * `RateLimit-Policy` as the global limits send them (docs/spec/dataplane.md DP-RL-1).
 */
export function localLimitHeaders(verdicts: readonly LocalVerdict[], headers: Headers): void {
  const refused = refusal(verdicts);
  const shown = refused ?? verdicts.find((v) => v.limit.responseHeaders);
  if (shown === undefined) return;
  const { bucket, take } = shown;
  if (shown.limit.responseHeaders) {
    const interval = bucket.bucket.fillIntervalMs;
    // Envoy's reset: seconds until the next fill.
    const nextFillMs = (take.allowed ? take.fullAfterMs : take.retryAfterMs) % interval || interval;
    headers.set("x-ratelimit-limit", String(bucket.bucket.maxTokens));
    headers.set("x-ratelimit-remaining", String(take.remaining));
    headers.set("x-ratelimit-reset", String(Math.max(1, Math.ceil(nextFillMs / 1000))));
  }
  if (refused === undefined) return;
  for (const [name, value] of Object.entries(rateLimitHeaders(bucket, take))) {
    headers.set(name, value);
  }
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
