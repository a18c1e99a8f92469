/**
 * Per-bucket metrics of the global rate limits (DP-RL-7), in the Prometheus text format: checks
 * by result (allowed, limited, shadow-limited: over the limit in shadow mode), near-limit
 * (≤ 20 % of the tokens left), pre-rejections from memory, fallbacks by failure mode, Redis
 * errors and Redis latency. Labels come from the configuration (RateLimit and bucket names),
 * never from requests, so their number is bounded.
 */

export type LimitResult = "allowed" | "limited" | "shadow_limited";

export interface RateLimitMetrics {
  checked(policy: string, result: LimitResult, nearLimit: boolean): void;
  preRejected(policy: string): void;
  fallback(policy: string, mode: "open" | "closed" | "local"): void;
  redisError(policy: string): void;
  redisLatency(policy: string, seconds: number): void;
  /** The exposition text; `localKeys` is the number of keys held in process memory. */
  render(localKeys: number): string;
}

const BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** A fresh registry. */
export function createRateLimitMetrics(): RateLimitMetrics {
  const checks = new Map<string, number>();
  const near = new Map<string, number>();
  const pre = new Map<string, number>();
  const fallbacks = new Map<string, number>();
  const errors = new Map<string, number>();
  const latency = new Map<string, Histogram>();
  const labels = new Map<string, string>();
  const labelsOf = (policy: string) => {
    let value = labels.get(policy);
    if (value === undefined) {
      const cut = policy.lastIndexOf("/");
      value = `ratelimit="${policy.slice(0, cut)}",bucket="${policy.slice(cut + 1)}"`;
      labels.set(policy, value);
    }
    return value;
  };
  return {
    checked(policy, result, nearLimit) {
      increment(checks, `${labelsOf(policy)},result="${result}"`);
      if (nearLimit) increment(near, labelsOf(policy));
    },
    preRejected: (policy) => increment(pre, labelsOf(policy)),
    fallback: (policy, mode) => increment(fallbacks, `${labelsOf(policy)},mode="${mode}"`),
    redisError: (policy) => increment(errors, labelsOf(policy)),
    redisLatency(policy, seconds) {
      const key = labelsOf(policy);
      let histogram = latency.get(key);
      if (histogram === undefined) {
        latency.set(key, histogram = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 });
      }
      histogram.sum += seconds;
      histogram.count++;
      for (const [i, bound] of BUCKETS.entries()) {
        if (seconds <= bound) histogram.counts[i]!++;
      }
    },
    render(localKeys) {
      const lines: string[] = [];
      counter(lines, "apigw_ratelimit_checks_total", "Global rate limit checks by result", checks);
      counter(lines, "apigw_ratelimit_near_limit_total", "Allowed with 20% or less left", near);
      counter(lines, "apigw_ratelimit_prerejected_total", "Denied from memory, no Redis", pre);
      counter(lines, "apigw_ratelimit_fallback_total", "Store failures by failure mode", fallbacks);
      counter(
        lines,
        "apigw_ratelimit_redis_errors_total",
        "Failed or timed out Redis calls",
        errors,
      );
      lines.push(
        "# HELP apigw_ratelimit_redis_seconds Redis call latency",
        "# TYPE apigw_ratelimit_redis_seconds histogram",
      );
      for (const [key, histogram] of latency) {
        for (const [i, bound] of BUCKETS.entries()) {
          lines.push(
            `apigw_ratelimit_redis_seconds_bucket{${key},le="${bound}"} ${histogram.counts[i]}`,
          );
        }
        lines.push(`apigw_ratelimit_redis_seconds_bucket{${key},le="+Inf"} ${histogram.count}`);
        lines.push(`apigw_ratelimit_redis_seconds_sum{${key}} ${histogram.sum}`);
        lines.push(`apigw_ratelimit_redis_seconds_count{${key}} ${histogram.count}`);
      }
      lines.push(
        "# HELP apigw_ratelimit_local_keys Keys held in process memory (bounded)",
        "# TYPE apigw_ratelimit_local_keys gauge",
        `apigw_ratelimit_local_keys ${localKeys}`,
      );
      return lines.join("\n") + "\n";
    },
  };
}

function counter(lines: string[], name: string, help: string, values: Map<string, number>): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
  for (const [labels, value] of values) lines.push(`${name}{${labels}} ${value}`);
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
