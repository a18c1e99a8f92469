/**
 * Buckets → Envoy local rate limit descriptors and the route actions that produce them
 * (docs/spec/ratelimit.md §4.4).
 * See https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto
 */
import type { Limit, TokenBucket } from "./buckets.ts";
import { formatSeconds } from "./duration.ts";
import { descriptorEntries, type DescriptorEntry, headerNameFor } from "./entries.ts";

export interface EnvoyTokenBucket {
  max_tokens: number;
  tokens_per_fill: number;
  fill_interval: string;
}

export interface Descriptor {
  entries: DescriptorEntry[];
  token_bucket: EnvoyTokenBucket;
}

export interface RequestHeadersAction {
  request_headers: { header_name: string; descriptor_key: string };
}

/** One route `rate_limits` entry: Envoy builds one descriptor from all of its actions. */
export interface RateLimitEntry {
  actions: RequestHeadersAction[];
}

/** `BUCKET(b)`: `fill_interval` as seconds with six decimals. */
export function envoyTokenBucket(bucket: TokenBucket): EnvoyTokenBucket {
  return {
    max_tokens: bucket.maxTokens,
    tokens_per_fill: bucket.tokensPerFill,
    fill_interval: formatSeconds(bucket.fillInterval),
  };
}

/** One descriptor per extra bucket, in bucket order. */
export function descriptorsFor(buckets: readonly Limit[]): Descriptor[] {
  return buckets.map((limit) => ({
    entries: descriptorEntries(limit.path, limit.headers),
    token_bucket: envoyTokenBucket(limit.bucket),
  }));
}

/**
 * The route's `rate_limits`: one entry per distinct ordered key list of the descriptors, in order
 * of first occurrence (apigw's fix of the single-entry weak spot: upstream puts every key into one
 * entry, so a path-only bucket next to a header bucket can never match). When all buckets have the
 * same keys this is upstream's single entry; no buckets give `[]`.
 */
export function rateLimitsFor(descriptors: readonly Descriptor[]): RateLimitEntry[] {
  const seen = new Set<string>();
  const entries: RateLimitEntry[] = [];
  for (const descriptor of descriptors) {
    const keys = descriptor.entries.map((entry) => entry.key);
    const id = JSON.stringify(keys);
    if (seen.has(id)) continue;
    seen.add(id);
    entries.push({
      actions: keys.map((key) => ({
        request_headers: { header_name: headerNameFor(key), descriptor_key: key },
      })),
    });
  }
  return entries;
}
