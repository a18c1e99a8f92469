/**
 * Global rate limits (RateLimit `spec.global`) in `apigw authz`. A check flows: `decide()` runs
 * the access pipeline, then the step of `createGlobalLimiter` → the RateLimits of the workload
 * at the check's peer address (`LimitStore`, compiled from the same snapshots as the rules) →
 * bucket and key → `BucketStore` (Redis: Lua token bucket or rate-limiter-flexible window; else
 * memory) → failure mode on store errors → 429 with RateLimit fields, or an allow.
 */
export { createGlobalLimiter, DEFAULT_LIMITER_OPTIONS, type LimiterOptions } from "./limiter.ts";
export { createMemoryStore } from "./memory_store.ts";
export { createRateLimitMetrics, type RateLimitMetrics } from "./metrics.ts";
export { createRedisStore, TOKEN_BUCKET_LUA } from "./redis_store.ts";
export type { BucketStore } from "./store.ts";
export { createGlobalLimiting, type GlobalLimiting } from "./setup.ts";
