/**
 * The global rate limit step as `apigw authz` and `apigw serve` run it: Redis with a URL (a
 * Redis down at startup is waited for briefly, then left to the buckets' failure modes), else
 * in-memory buckets; the in-memory store doubles as the `local` failure mode's fallback.
 */
import type { Logger } from "../../lib/log.ts";
import type { CompiledGlobalLimits } from "../../core/ratelimit/global.ts";
import type { RateLimitStep } from "../pipeline.ts";
import { createGlobalLimiter, DEFAULT_LIMITER_OPTIONS, type LimiterOptions } from "./limiter.ts";
import { createMemoryStore } from "./memory_store.ts";
import { createRateLimitMetrics, type RateLimitMetrics } from "./metrics.ts";
import { createRedisStore } from "./redis_store.ts";
import type { RedisTarget } from "./redis_url.ts";
import type { BucketStore } from "./store.ts";

const REDIS_STARTUP_WAIT_MS = 2_000;

export interface GlobalLimiting {
  step: RateLimitStep;
  metrics: RateLimitMetrics;
  /** The metrics text, with the keys held in memory. */
  renderMetrics(): string;
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
}

/** Builds the step over `limits` (read per check, so a reload swaps them). */
export async function startGlobalLimiting(
  options: GlobalLimitingOptions,
  limits: { current(): CompiledGlobalLimits },
  log: Logger,
): Promise<GlobalLimiting> {
  const local = createMemoryStore({ maxKeys: options.localKeys });
  let buckets: BucketStore = local;
  let renderRedis = () => "";
  if (options.redisUrl !== undefined) {
    const redis = createRedisStore({
      url: options.redisUrl,
      commandTimeoutMs: options.redisTimeoutMs,
      log,
    });
    renderRedis = () => redis.renderMetrics("apigw_ratelimit");
    if (!await redis.connected(REDIS_STARTUP_WAIT_MS)) {
      log.warn("Failed to reach Redis at startup; buckets apply their failure mode until it is");
    }
    buckets = redis;
  }
  const metrics = createRateLimitMetrics();
  const limiterOptions: LimiterOptions = {
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
  });
  return {
    step,
    metrics,
    renderMetrics: () => metrics.render(local.size() + step.heldKeys()) + renderRedis(),
    close: () => buckets.close(),
  };
}
