/**
 * The data plane's one observation point for decisions: what the front ends report per request
 * when something listens (the dashboard). The event carries no header, no query and no token:
 * the method, the host, the canonical path, the outcome and the local buckets it drew from.
 * Without an observer the front ends build no event at all.
 */
import type { LocalVerdict } from "./ratelimit/local.ts";

/** A local bucket after a request took from it. */
export interface BucketLevel {
  /** `namespace/name/bucket` of the RateLimit bucket. */
  policy: string;
  remaining: number;
  maxTokens: number;
}

/** One decided request. */
export interface DecisionEvent {
  /** Wall clock, ms. */
  at: number;
  /** `serve` (forwarded or refused by the gateway) or `authz` (an ext_authz check). */
  frontEnd: "serve" | "authz";
  method: string;
  host: string;
  /** The canonical path, never the query. */
  path: string;
  status: number;
  /** The stable reason: `forwarded`, `no_rule_matched`, `rate_limited`, `missing_token`, … */
  reason: string;
  /** The matched rule (`namespace/name#index`), if any. */
  rule: string | undefined;
  durationMs: number;
  /** The local buckets the request drew from (`apigw serve`). */
  buckets: readonly BucketLevel[];
}

/** Called synchronously on the request path: keep it cheap and never throw. */
export type DecisionObserver = (event: DecisionEvent) => void;

/** The levels of the local buckets a request drew from. */
export function bucketLevels(verdicts: readonly LocalVerdict[]): BucketLevel[] {
  return verdicts.map((v) => ({
    policy: v.bucket.policy,
    remaining: v.take.remaining,
    maxTokens: v.bucket.bucket.maxTokens,
  }));
}
