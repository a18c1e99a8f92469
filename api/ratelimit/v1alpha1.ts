/**
 * RateLimit `gateway.kyma-project.io/v1alpha1` (ratelimit.md §1): token buckets for Envoy's local
 * rate limit, selected by workload labels; buckets match a path and/or headers.
 */
import { array, boolean, integer, object, record, type Static, string } from "../schema/build.ts";
import { metadata, type ObjectMeta } from "../meta.ts";

export const BucketSpec = object({
  maxTokens: integer({ format: "int64" }),
  tokensPerFill: integer({ format: "int64" }),
  fillInterval: string({ format: "duration" }),
}, { required: ["maxTokens", "tokensPerFill", "fillInterval"] });
export type BucketSpec = Static<typeof BucketSpec>;

export const BucketConfig = object({
  path: string(),
  headers: record(string()),
  bucket: BucketSpec,
}, {
  required: ["bucket"],
  rules: [{
    rule: "has(self.path) || has(self.headers)",
    message: "At least one of 'path' or 'headers' must be set",
  }],
});
export type BucketConfig = Static<typeof BucketConfig>;

export const RateLimitSpec = object({
  selectorLabels: record(string(), { minProperties: 1 }),
  local: object({
    defaultBucket: BucketSpec,
    buckets: array(BucketConfig),
  }, { required: ["defaultBucket"] }),
  enableResponseHeaders: boolean(),
  // The one schema default upstream's CRD carries (decision 12).
  enforce: boolean({ default: true }),
}, { required: ["selectorLabels", "local"] });
export type RateLimitSpec = Static<typeof RateLimitSpec>;

export const RateLimitStatus = object({ state: string(), description: string() });
export type RateLimitStatus = Static<typeof RateLimitStatus>;

export const RateLimit = object({
  apiVersion: string(),
  kind: string(),
  metadata: metadata(),
  spec: RateLimitSpec,
  status: RateLimitStatus,
});

export interface RateLimitObject {
  apiVersion: "gateway.kyma-project.io/v1alpha1";
  kind: "RateLimit";
  metadata: ObjectMeta;
  spec?: RateLimitSpec;
  status?: RateLimitStatus;
}
