/**
 * RateLimit `gateway.kyma-project.io/v1alpha1` (docs/spec/ratelimit.md §1): token buckets for Envoy's local
 * rate limit, selected by workload labels; buckets match a path and/or headers.
 */
import {
  array,
  boolean,
  enumOf,
  integer,
  object,
  record,
  type Static,
  string,
} from "../schema/build.ts";
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

/** Who a global bucket counts: exactly one of the client address, a header or a JWT claim. */
export const GlobalKey = object({
  clientAddress: object({
    // Istio `numTrustedProxies` parity (§8 #13): proxies on the right of x-forwarded-for to skip.
    trustedHops: integer({ minimum: 0, maximum: 16 }),
  }),
  header: object({ name: string({ minLength: 1, maxLength: 256 }) }, { required: ["name"] }),
  // A claim of a token the authz pipeline verified (DP-RL-4), never of an unverified one.
  claim: object({ name: string({ minLength: 1, maxLength: 256 }) }, { required: ["name"] }),
}, {
  rules: [{
    rule: "(has(self.clientAddress) ? 1 : 0) + (has(self.header) ? 1 : 0) + " +
      "(has(self.claim) ? 1 : 0) == 1",
    message: "Exactly one of 'clientAddress', 'header' or 'claim' must be set",
  }],
});
export type GlobalKey = Static<typeof GlobalKey>;

/** What happens to a check when Redis is slow or down (docs/spec/dataplane.md §6.6). */
export const FAILURE_MODES = ["open", "closed", "local"] as const;
export type FailureMode = typeof FAILURE_MODES[number];
export const GLOBAL_ALGORITHMS = ["tokenBucket", "fixedWindow"] as const;
export type GlobalAlgorithm = typeof GLOBAL_ALGORITHMS[number];

/** A global bucket: the local shape, plus its own failure mode. */
export const GlobalBucketConfig = object({
  path: string(),
  headers: record(string()),
  bucket: BucketSpec,
  failureMode: enumOf(FAILURE_MODES),
}, {
  required: ["bucket"],
  rules: [{
    rule: "has(self.path) || has(self.headers)",
    message: "At least one of 'path' or 'headers' must be set",
  }],
});
export type GlobalBucketConfig = Static<typeof GlobalBucketConfig>;

const FIXED_WINDOW_RULE = "!has(self.algorithm) || self.algorithm != 'fixedWindow' || " +
  "(self.defaultBucket.tokensPerFill == self.defaultBucket.maxTokens && " +
  "(!has(self.buckets) || self.buckets.all(b, b.bucket.tokensPerFill == b.bucket.maxTokens)))";

/**
 * `spec.global` (apigw, additive): buckets shared by every replica through Redis and enforced by
 * `apigw authz`, counted per key. No CRD defaults (decision 12): the translation reads an absent
 * `algorithm` as `tokenBucket`, `enforce` as `spec.enforce` and `failureMode` as `local`.
 */
export const GlobalSpec = object({
  key: GlobalKey,
  algorithm: enumOf(GLOBAL_ALGORITHMS),
  enforce: boolean(),
  failureMode: enumOf(FAILURE_MODES),
  defaultBucket: BucketSpec,
  buckets: array(GlobalBucketConfig, { maxItems: 64 }),
}, {
  required: ["key", "defaultBucket"],
  rules: [{
    rule: FIXED_WINDOW_RULE,
    message: "A fixedWindow bucket must have tokensPerFill equal to maxTokens",
  }],
});
export type GlobalSpec = Static<typeof GlobalSpec>;

export const RateLimitSpec = object({
  selectorLabels: record(string(), { minProperties: 1 }),
  local: object({
    defaultBucket: BucketSpec,
    buckets: array(BucketConfig),
  }, { required: ["defaultBucket"] }),
  global: GlobalSpec,
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
