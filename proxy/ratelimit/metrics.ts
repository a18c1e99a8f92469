/**
 * Per-bucket metrics of the global rate limits (DP-RL-7), on the process's one registry
 * (`lib/metrics.ts`): checks by result (allowed, limited, shadow-limited: over the limit in
 * shadow mode), near-limit (≤ 20 % of the tokens left), pre-rejections from memory, fallbacks by
 * failure mode, Redis errors and Redis latency. Labels come from the configuration (RateLimit and
 * bucket names), never from requests, so their number is bounded.
 */
import type { MetricsRegistry } from "../../lib/metrics.ts";

export type LimitResult = "allowed" | "limited" | "shadow_limited";

export interface RateLimitMetrics {
  checked(policy: string, result: LimitResult, nearLimit: boolean): void;
  preRejected(policy: string): void;
  fallback(policy: string, mode: "open" | "closed" | "local"): void;
  redisError(policy: string): void;
  redisLatency(policy: string, seconds: number): void;
}

const BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/** The families on `registry`; `localKeys` is read at scrape time (keys held in memory). */
export function createRateLimitMetrics(
  registry: MetricsRegistry,
  localKeys: () => number,
): RateLimitMetrics {
  const checks = registry.counter(
    "apigw_ratelimit_checks_total",
    "Global rate limit checks by result",
  );
  const near = registry.counter(
    "apigw_ratelimit_near_limit_total",
    "Allowed with 20% or less left",
  );
  const pre = registry.counter("apigw_ratelimit_prerejected_total", "Denied from memory, no Redis");
  const fallbacks = registry.counter(
    "apigw_ratelimit_fallback_total",
    "Store failures by failure mode",
  );
  const errors = registry.counter(
    "apigw_ratelimit_redis_errors_total",
    "Failed or timed out Redis calls",
  );
  const latency = registry.histogram(
    "apigw_ratelimit_redis_seconds",
    "Redis call latency",
    BUCKETS,
  );
  registry.gaugeFunction(
    "apigw_ratelimit_local_keys",
    "Keys held in process memory (bounded)",
    () => [{ labels: {}, value: localKeys() }],
  );
  // `namespace/name/bucket` → its labels, split once per policy.
  const labels = new Map<string, { ratelimit: string; bucket: string }>();
  const labelsOf = (policy: string) => {
    let value = labels.get(policy);
    if (value === undefined) {
      const cut = policy.lastIndexOf("/");
      labels.set(
        policy,
        value = { ratelimit: policy.slice(0, cut), bucket: policy.slice(cut + 1) },
      );
    }
    return value;
  };
  return {
    checked(policy, result, nearLimit) {
      checks.inc({ ...labelsOf(policy), result });
      if (nearLimit) near.inc(labelsOf(policy));
    },
    preRejected: (policy) => pre.inc(labelsOf(policy)),
    fallback: (policy, mode) => fallbacks.inc({ ...labelsOf(policy), mode }),
    redisError: (policy) => errors.inc(labelsOf(policy)),
    redisLatency: (policy, seconds) => latency.observe(labelsOf(policy), seconds),
  };
}
