/**
 * The bucket checks `spec.local` and `spec.global` share (docs/spec/ratelimit.md §3 step 1 and apigw's
 * additions): fill interval, token counts, what a bucket matches, duplicates.
 */
import type { BucketConfig, BucketSpec } from "../ratelimit/v1alpha1.ts";
import type { Failure } from "./failure.ts";
import { parseGoDuration } from "../duration.ts";

export const MIN_FILL_INTERVAL = 50_000_000n; // 50ms: Envoy's minimum for a local rate limit bucket
const MAX_TOKENS = 4_294_967_295; // Envoy's token counts are uint32, and must be > 0
/** RFC 9110 `token`; a leading `:` names an HTTP/2 pseudo header such as `:authority`. */
export const HEADER_NAME = /^:?[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const TOKEN_FIELDS: readonly ("maxTokens" | "tokensPerFill")[] = ["maxTokens", "tokensPerFill"];

/** A fill interval in nanoseconds, or the failure naming `label` and the text. */
export function interval(
  label: string,
  path: string,
  text: string,
): { value: bigint } | { failure: Failure } {
  const parsed = parseGoDuration(text);
  return parsed.ok ? { value: parsed.value } : {
    failure: fillFailure(
      path,
      `${label}: fillInterval ${JSON.stringify(text)} is invalid: ${parsed.error}`,
    ),
  };
}

/** A failure of the `fillInterval` of the bucket at `bucketPath`. */
export function fillFailure(bucketPath: string, message: string): Failure {
  return { attributePath: `${bucketPath}.fillInterval`, message };
}

/** `maxTokens` or `tokensPerFill` outside 1…4294967295. */
export function tokenFailure(label: string, path: string, bucket: BucketSpec): Failure | undefined {
  for (const field of TOKEN_FIELDS) {
    const value = bucket[field];
    if (value < 1 || value > MAX_TOKENS) {
      return {
        attributePath: `${path}.${field}`,
        message: `${label}: ${field} must be between 1 and ${MAX_TOKENS} (got ${value})`,
      };
    }
  }
  return undefined;
}

/** What an extra bucket matches: not empty, a path with `/`, header names, no path twice. */
export function descriptorFailure(
  label: string,
  path: string,
  config: BucketConfig,
): Failure | undefined {
  const tokens = tokenFailure(label, `${path}.bucket`, config.bucket);
  if (tokens !== undefined) return tokens;
  const { path: match, headers = {} } = config;
  if (entriesOf(config).length === 0) {
    return { attributePath: path, message: `${label}: path and headers must not both be empty` };
  }
  if (match !== undefined && match !== "" && !match.startsWith("/")) {
    return {
      attributePath: `${path}.path`,
      message: `${label}: path ${JSON.stringify(match)} must start with '/'`,
    };
  }
  const badName = Object.keys(headers).find((name) => !HEADER_NAME.test(name));
  if (badName !== undefined) {
    return {
      attributePath: `${path}.headers`,
      message: `${label}: header name ${JSON.stringify(badName)} is not a valid HTTP header name`,
    };
  }
  if (match !== undefined && match !== "" && "path" in headers) {
    return {
      attributePath: `${path}.headers`,
      message:
        `${label}: header "path" and the path field both match the request path; set only one`,
    };
  }
  return undefined;
}

// Envoy rejects a LocalRateLimit whose descriptors repeat ("duplicate descriptor").
/** Two extra buckets that match the same; `label` names them in the message. */
export function duplicateFailure(
  buckets: readonly BucketConfig[],
  at: (i: number) => string,
  label = "bucket",
): Failure | undefined {
  const seen = new Map<string, number>();
  for (const [i, config] of buckets.entries()) {
    const key = JSON.stringify(entriesOf(config));
    const first = seen.get(key);
    if (first !== undefined) {
      return {
        attributePath: at(i),
        message: `${label} '[${i}]': path and headers are the same as in ${label} '[${first}]'`,
      };
    }
    seen.set(key, i);
  }
  return undefined;
}

/** The descriptor entries of a bucket (docs/spec/ratelimit.md §4.4): the path, then headers by name. */
function entriesOf(config: BucketConfig): Array<[string, string]> {
  const headers = Object.entries(config.headers ?? {}).sort((
    [a],
    [b],
  ) => (a < b ? -1 : a > b ? 1 : 0));
  return [...(config.path ? [["path", config.path] satisfies [string, string]] : []), ...headers];
}
