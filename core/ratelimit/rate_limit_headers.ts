/**
 * The response fields of a global limit (docs/spec/dataplane.md §6.5, DP-RL-1): IETF
 * draft-ietf-httpapi-ratelimit-headers-11 `RateLimit-Policy` and `RateLimit` (Structured Field
 * lists named by the bucket's policy, no partition key: identities never leave apigw) and, on a
 * deny, `Retry-After` in whole seconds, at least 1 (RFC 9110 §10.2.3).
 */
import type { GlobalBucket } from "./global.ts";
import type { Take } from "./token_bucket.ts";

/** The headers for one decision of `bucket`. */
export function rateLimitHeaders(
  bucket: Pick<GlobalBucket, "policy" | "bucket">,
  take: Take,
): Record<string, string> {
  const { maxTokens, tokensPerFill, fillIntervalMs } = bucket.bucket;
  // The quota is the burst; its window the time an empty bucket takes to fill up.
  const window = Math.max(
    1,
    Math.ceil(Math.ceil(maxTokens / tokensPerFill) * fillIntervalMs / 1000),
  );
  const name = `"${bucket.policy.replace(/["\\]/g, "\\$&")}"`;
  const seconds = Math.ceil((take.allowed ? take.fullAfterMs : take.retryAfterMs) / 1000);
  const headers: Record<string, string> = {
    "ratelimit-policy": `${name};q=${maxTokens};w=${window}`,
    ratelimit: `${name};r=${take.remaining};t=${Math.max(0, seconds)}`,
  };
  if (!take.allowed) headers["retry-after"] = String(Math.max(1, seconds));
  return headers;
}
