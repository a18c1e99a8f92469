/**
 * The checks that depend on the RateLimit alone (docs/spec/ratelimit.md §3 step 1, then apigw's additions
 * for what Envoy would otherwise reject or never match while the CR shows Ready), and the token
 * buckets they yield. The first failure wins; upstream's interval checks run first, so a CR that
 * upstream rejects gets upstream's text.
 */
import type { BucketConfig, BucketSpec } from "../../api/ratelimit/v1alpha1.ts";
import { err, ok, type Result } from "../result.ts";
import { parseGoDuration } from "../../api/duration.ts";
import { descriptorEntries } from "./entries.ts";

/** A checked token bucket; `fillInterval` in nanoseconds. */
export interface TokenBucket {
  maxTokens: number;
  tokensPerFill: number;
  fillInterval: bigint;
}

/** A checked extra bucket: what it matches (`path` `""` for none) and its tokens. */
export interface Limit {
  path: string;
  headers: Record<string, string>;
  bucket: TokenBucket;
}

export interface Limits {
  defaultBucket: TokenBucket;
  buckets: Limit[];
}

/** Envoy's `LocalRateLimit` rejects shorter fill intervals. */
const MIN_FILL_INTERVAL = 50_000_000n;
/** `max_tokens` and `tokens_per_fill` are `uint32` fields that must be greater than 0. */
const MAX_TOKENS = 4_294_967_295;
/** RFC 9110 `token`; a leading `:` names an HTTP/2 pseudo header such as `:authority`. */
const HEADER_NAME = /^:?[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Checks the default bucket and the extra buckets; the message is the §3 validation text. */
export function checkBuckets(
  defaultBucket: BucketSpec,
  buckets: readonly BucketConfig[],
): Result<Limits, string> {
  const intervals = checkIntervals(defaultBucket, buckets);
  if (!intervals.ok) return intervals;
  const problem = tokenProblem("defaultBucket", defaultBucket) ??
    buckets.map((config, i) => bucketProblem(`bucket '[${i}]'`, config)).find((p) => p) ??
    duplicateProblem(buckets);
  if (problem !== undefined) return err(problem);
  const [base, ...rest] = intervals.value;
  return ok({
    defaultBucket: tokenBucket(defaultBucket, base ?? 0n),
    buckets: buckets.map((config, i) => ({
      path: config.path ?? "",
      headers: config.headers ?? {},
      bucket: tokenBucket(config.bucket, rest[i] ?? 0n),
    })),
  });
}

/** Upstream's checks, in upstream's order; yields the default interval, then each bucket's. */
function checkIntervals(
  defaultBucket: BucketSpec,
  buckets: readonly BucketConfig[],
): Result<bigint[], string> {
  const base = parseInterval("defaultBucket", defaultBucket.fillInterval);
  if (!base.ok) return base;
  if (base.value < MIN_FILL_INTERVAL) {
    return err("defaultBucket: fillInterval must be greater or equal 50ms");
  }
  const intervals = [base.value];
  for (const [i, config] of buckets.entries()) {
    const where = `bucket '[${i}]'`;
    const interval = parseInterval(where, config.bucket.fillInterval);
    if (!interval.ok) return interval;
    if (interval.value < MIN_FILL_INTERVAL) {
      return err(`${where}: fillInterval must be greater or equal 50ms`);
    }
    if (interval.value % base.value !== 0n) {
      return err(`${where}: fillInterval must be a multiple of defaultBucket fillInterval`);
    }
    intervals.push(interval.value);
  }
  return ok(intervals);
}

function parseInterval(where: string, text: string): Result<bigint, string> {
  const parsed = parseGoDuration(text);
  return parsed.ok
    ? parsed
    : err(`${where}: fillInterval ${JSON.stringify(text)} is invalid: ${parsed.error}`);
}

function tokenProblem(where: string, bucket: BucketSpec): string | undefined {
  for (const field of ["maxTokens", "tokensPerFill"] as const) {
    const value = bucket[field];
    if (value < 1 || value > MAX_TOKENS) {
      return `${where}: ${field} must be between 1 and ${MAX_TOKENS} (got ${value})`;
    }
  }
  return undefined;
}

function bucketProblem(where: string, config: BucketConfig): string | undefined {
  const tokens = tokenProblem(where, config.bucket);
  if (tokens !== undefined) return tokens;
  const { path, headers = {} } = config;
  if (descriptorEntries(path, headers).length === 0) {
    return `${where}: path and headers must not both be empty`;
  }
  if (path !== undefined && path !== "" && !path.startsWith("/")) {
    return `${where}: path ${JSON.stringify(path)} must start with '/'`;
  }
  const badName = Object.keys(headers).find((name) => !HEADER_NAME.test(name));
  if (badName !== undefined) {
    return `${where}: header name ${JSON.stringify(badName)} is not a valid HTTP header name`;
  }
  if (path !== undefined && path !== "" && "path" in headers) {
    return `${where}: header "path" and the path field both match the request path; set only one`;
  }
  return undefined;
}

// Envoy rejects a LocalRateLimit whose descriptors repeat ("duplicate descriptor").
function duplicateProblem(buckets: readonly BucketConfig[]): string | undefined {
  const seen = new Map<string, number>();
  for (const [i, config] of buckets.entries()) {
    const key = JSON.stringify(descriptorEntries(config.path, config.headers));
    const first = seen.get(key);
    if (first !== undefined) {
      return `bucket '[${i}]': path and headers are the same as in bucket '[${first}]'`;
    }
    seen.set(key, i);
  }
  return undefined;
}

function tokenBucket(spec: BucketSpec, fillInterval: bigint): TokenBucket {
  return { maxTokens: spec.maxTokens, tokensPerFill: spec.tokensPerFill, fillInterval };
}
