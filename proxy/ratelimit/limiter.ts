/**
 * The global rate limit step of the ext_authz pipeline (RateLimit `spec.global`). A check flows:
 * the RateLimits of the workload that sent it (by the check's peer address) → per RateLimit, the
 * bucket of the request and the caller's key → a token from the store (Redis, or memory) unless
 * the key is known to be empty (pre-rejection from memory, DP-RL-5) → when the store fails, the
 * bucket's failure mode (open, closed, or the in-memory bucket) → 429 with `Retry-After` and the
 * RateLimit fields when enforced, an allow otherwise (shadow mode counts and allows, DP-RL-6).
 * Only checks the pipeline allowed are counted (DP-AUTHZ-10): denied ones never cost a token.
 */
import { annotateActive, tracingOn } from "../../lib/tracing.ts";
import { createHash } from "node:crypto";
import type { Logger } from "../../lib/log.ts";
import { allow, deny } from "../../core/authz/decision.ts";
import {
  type CompiledGlobalLimits,
  type GlobalBucket,
  type GlobalLimit,
  identityOf,
  type LimitedRequest,
  selectBucket,
} from "../../core/ratelimit/global.ts";
import { rateLimitHeaders } from "../../core/ratelimit/rate_limit_headers.ts";
import type { Take } from "../../core/ratelimit/token_bucket.ts";
import type { CheckInput, Outcome, RateLimitStep } from "../outcome.ts";
import type { RateLimitMetrics } from "./metrics.ts";
import type { BucketStore, MemoryBucketStore } from "./store.ts";

export interface LimiterOptions {
  /** Keys remembered as empty (pre-rejection); the oldest are forgotten past this. */
  maxEmptyKeys: number;
  /**
   * At most this long a known-empty key is rejected from memory (0: never). Short, so a raised
   * limit or tokens given back in Redis count soon; long enough that a flood costs Redis
   * one call per key and interval.
   */
  preRejectMs: number;
  /** Consecutive store failures that open the breaker (§6.6). */
  breakerFailures: number;
  /** How long an open breaker skips the store before one request probes it again. */
  breakerOpenMs: number;
}

export const DEFAULT_LIMITER_OPTIONS: LimiterOptions = Object.freeze({
  maxEmptyKeys: 100_000,
  preRejectMs: 1_000,
  breakerFailures: 3,
  // Short: enforcement resumes within this long after Redis is back.
  breakerOpenMs: 250,
});

export interface LimiterDeps {
  limits: { current(): CompiledGlobalLimits };
  /** Redis, or the in-memory store when no Redis is configured. */
  store: BucketStore;
  /** The in-memory store of failure mode `local` (the same store without Redis). */
  local: MemoryBucketStore;
  metrics: RateLimitMetrics;
  log: Logger;
  options?: LimiterOptions;
  /** Monotonic milliseconds; `performance.now` unless a test drives time. */
  now?: () => number;
}

type Verdict =
  | { kind: "take"; limit: GlobalLimit; bucket: GlobalBucket; take: Take }
  | { kind: "closed"; limit: GlobalLimit; bucket: GlobalBucket };

/** The step `decide()` runs last; `heldKeys()` counts the known-empty keys it remembers. */
export function createGlobalLimiter(deps: LimiterDeps): RateLimitStep & { heldKeys(): number } {
  const options = deps.options ?? DEFAULT_LIMITER_OPTIONS;
  const now = deps.now ?? (() => performance.now());
  const empty = new Map<string, number>();
  let failures = 0;
  let openUntil = 0;

  return {
    heldKeys: () => empty.size,
    apply(outcome, input) {
      const limits = input.peer === undefined
        ? undefined
        : deps.limits.current().byAddress.get(input.peer);
      if (limits === undefined || limits.length === 0) return outcome;
      const decision = outcome.decision;
      if (!decision.allow && decision.reason !== "no_rule_matched") return outcome;
      // A rate-limited workload sends every request here, also those no APIRule of ours covers.
      const base: Outcome = decision.allow
        ? outcome
        : { ...outcome, decision: allow("ratelimit", "rate_limit_only") };
      const request = limitedRequest(outcome, input);
      if (limits.length === 1) {
        const verdict = check(limits[0]!, request);
        return verdict instanceof Promise
          ? verdict.then((v) => finish(base, [v]))
          : finish(base, [verdict]);
      }
      const verdicts = limits.map((limit) => check(limit, request));
      return verdicts.some((v) => v instanceof Promise)
        ? Promise.all(verdicts).then((all) => finish(base, all))
        : finish(base, verdicts.filter((v): v is Verdict => !(v instanceof Promise)));
    },
  };

  function check(limit: GlobalLimit, request: LimitedRequest): Verdict | Promise<Verdict> {
    const bucket = selectBucket(limit, request);
    const key = `${bucket.policy}:${hashed(identityOf(limit.key, request))}`;
    const at = now();
    const until = empty.get(key);
    if (until !== undefined) {
      if (until > at) {
        deps.metrics.preRejected(bucket.policy);
        const take = { allowed: false, remaining: 0, retryAfterMs: until - at, fullAfterMs: 0 };
        return { kind: "take", limit, bucket, take };
      }
      empty.delete(key);
    }
    if (!deps.store.remote) {
      const take = deps.store.take(key, bucket.bucket, limit.algorithm);
      if (!(take instanceof Promise)) return remember({ kind: "take", limit, bucket, take }, key);
    }
    if (at < openUntil) return fallback(limit, bucket, key);
    const started = performance.now();
    return Promise.resolve(deps.store.take(key, bucket.bucket, limit.algorithm)).then(
      (take) => {
        deps.metrics.redisLatency(bucket.policy, (performance.now() - started) / 1000);
        if (failures >= options.breakerFailures) deps.log.info("Reached Redis again");
        failures = 0;
        return remember({ kind: "take", limit, bucket, take }, key);
      },
      (error: unknown) => {
        deps.metrics.redisLatency(bucket.policy, (performance.now() - started) / 1000);
        deps.metrics.redisError(bucket.policy);
        if (++failures === options.breakerFailures) {
          deps.log.warn("Failed to reach Redis; buckets apply their failure mode", {
            error: error instanceof Error ? error.message : String(error),
          });
        }
        if (failures >= options.breakerFailures) openUntil = now() + options.breakerOpenMs;
        return fallback(limit, bucket, key);
      },
    );
  }

  function fallback(limit: GlobalLimit, bucket: GlobalBucket, key: string): Verdict {
    deps.metrics.fallback(bucket.policy, bucket.failureMode);
    switch (bucket.failureMode) {
      case "open": {
        const { maxTokens } = bucket.bucket;
        const take = { allowed: true, remaining: maxTokens, retryAfterMs: 0, fullAfterMs: 0 };
        return { kind: "take", limit, bucket, take };
      }
      case "closed":
        return { kind: "closed", limit, bucket };
      case "local": {
        const take = deps.local.take(key, bucket.bucket, limit.algorithm);
        return { kind: "take", limit, bucket, take };
      }
    }
  }

  /** A denied key is empty until its retry time: later checks skip the store (DP-RL-5). */
  function remember(verdict: Verdict & { kind: "take" }, key: string): Verdict {
    if (!verdict.take.allowed && verdict.take.retryAfterMs > 0 && options.preRejectMs > 0) {
      empty.set(key, now() + Math.min(verdict.take.retryAfterMs, options.preRejectMs));
      if (empty.size > options.maxEmptyKeys) {
        const oldest = empty.keys().next().value;
        if (oldest !== undefined) empty.delete(oldest);
      }
    }
    return verdict;
  }

  function finish(base: Outcome, verdicts: readonly Verdict[]): Outcome {
    if (tracingOn()) {
      annotateActive({ "apigw.ratelimit.bucket": verdicts.map((v) => v.bucket.policy).join(",") });
    }
    let headers: Record<string, string> | undefined;
    let denied: Outcome | undefined;
    for (const verdict of verdicts) {
      const { limit, bucket } = verdict;
      if (verdict.kind === "closed") {
        deps.metrics.checked(bucket.policy, limit.enforce ? "limited" : "shadow_limited", false);
        if (limit.enforce && denied === undefined) {
          denied = {
            ...base,
            decision: deny("ratelimit", 503, "rate_limit_unavailable", { detail: bucket.policy }),
          };
        }
        continue;
      }
      const { take } = verdict;
      const near = take.allowed && take.remaining <= bucket.bucket.maxTokens * 0.2;
      const result = take.allowed ? "allowed" : limit.enforce ? "limited" : "shadow_limited";
      deps.metrics.checked(bucket.policy, result, near);
      if (result === "limited" && denied === undefined) {
        denied = {
          ...base,
          decision: deny("ratelimit", 429, "rate_limited", {
            detail: bucket.policy,
            responseHeaders: rateLimitHeaders(bucket, take),
          }),
        };
      } else if (limit.responseHeaders && headers === undefined) {
        headers = rateLimitHeaders(bucket, take);
        // Shadow mode: the request goes on, so it gets no Retry-After.
        delete headers["retry-after"];
      }
    }
    if (denied !== undefined) return denied;
    if (headers === undefined || !base.decision.allow) return base;
    return { ...base, decision: { ...base.decision, responseHeaders: headers } };
  }
}

function limitedRequest(outcome: Outcome, input: CheckInput): LimitedRequest {
  const { method, host, path } = input.request;
  const identity = outcome.identity;
  return {
    method,
    host,
    path,
    headers: input.headers,
    peer: input.peer ?? "",
    ...(identity?.kind === "jwt" ? { claims: identity.payload } : {}),
  };
}

/** Identities are hashed: bounded key length and no personal data in Redis (§6.6). */
function hashed(identity: string): string {
  return createHash("sha256").update(identity).digest("base64url").slice(0, 22);
}
