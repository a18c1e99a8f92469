/**
 * The global rate limit step as `apigw authz` and `apigw serve` run it: Redis with a URL (a
 * Redis down at startup is waited for briefly, then left to the buckets' failure modes), else
 * in-memory buckets; the in-memory store doubles as the `local` failure mode's fallback.
 */
import type { Logger } from "../../lib/log.ts";
import type { MetricsRegistry } from "../../lib/metrics.ts";
import type { CompiledGlobalLimits } from "../../core/ratelimit/global.ts";
import type { RateLimitStep } from "../outcome.ts";
import { createGlobalLimiter, DEFAULT_LIMITER_OPTIONS, type LimiterOptions } from "./limiter.ts";
import { createMemoryStore } from "./memory_store.ts";
import { createRateLimitMetrics, type RateLimitMetrics } from "./metrics.ts";
import { registerRedisMetrics } from "./redis_metrics.ts";
import { createRedisStore } from "./redis_store.ts";
import type { RedisTarget } from "./redis_url.ts";
import type { BucketStore } from "./store.ts";

const REDIS_STARTUP_WAIT_MS = 2_000;

export interface GlobalLimiting {
  step: RateLimitStep;
  metrics: RateLimitMetrics;
  /** Resolves once Redis answered, or the startup wait is over (at once without Redis). */
  started: Promise<void>;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

export interface GlobalLimitingOptions {
  /** A URL or a resolved target (cli/redis_flags.ts): standalone, Sentinel or Cluster. */
  redisUrl?: string | RedisTarget | undefined;
  redisTimeoutMs: number;
  /** Most keys kept in memory (in-memory buckets, known-empty keys). */
  localKeys: number;
  preRejectMs?: number;
  /** Tests: a store instead of Redis or memory, the limiter's options, a monotonic clock. */
  store?: BucketStore;
  limiter?: LimiterOptions;
  now?: () => number;
}

/** Builds the step over `limits` (read per check, so a reload swaps them). */
export function createGlobalLimiting(
  options: GlobalLimitingOptions,
  limits: { current(): CompiledGlobalLimits },
  deps: { log: Logger; registry: MetricsRegistry },
): GlobalLimiting {
  const { log } = deps;
  const now = options.now !== undefined ? { now: options.now } : {};
  const local = createMemoryStore({ maxKeys: options.localKeys, ...now });
  let buckets: BucketStore = options.store ?? local;
  let started = Promise.resolve();
  if (options.redisUrl !== undefined && options.store === undefined) {
    const redis = createRedisStore({
      url: options.redisUrl,
      commandTimeoutMs: options.redisTimeoutMs,
      log,
    });
    registerRedisMetrics(deps.registry, "apigw_ratelimit", redis.client);
    started = redis.connected(REDIS_STARTUP_WAIT_MS).then((connected) => {
      if (connected) return;
      log.warn("Failed to reach Redis at startup; buckets apply their failure mode until it is");
    });
    buckets = redis;
  }
  const metrics = createRateLimitMetrics(deps.registry, () => local.size() + step.heldKeys());
  const limiterOptions: LimiterOptions = options.limiter ?? {
    ...DEFAULT_LIMITER_OPTIONS,
    maxEmptyKeys: options.localKeys,
    ...(options.preRejectMs !== undefined ? { preRejectMs: options.preRejectMs } : {}),
  };
  const step = createGlobalLimiter({
    limits,
    store: buckets,
    local,
    metrics,
    log,
    options: limiterOptions,
    ...now,
  });
  return {
    step,
    metrics,
    started,
    close: () => buckets.close(),
  };
}
