/**
 * The Redis bucket store (docs/spec/dataplane.md §6.3–6.6). The token bucket is one atomic Lua script on
 * Redis time (DP-RL-3; rate-limiter-flexible has no token bucket whose refill matches Envoy's),
 * the fixed window is rate-limiter-flexible's `RateLimiterRedis`. The client (redis_client.ts)
 * fails fast instead of queueing for seconds; on a Redis Cluster a batch runs the script once
 * per slot (issue 20), since a script may only touch keys of one slot.
 */
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { GlobalAlgorithm } from "../../api/ratelimit/v1alpha1.ts";
import type { GlobalTokenBucket } from "../../core/ratelimit/global.ts";
import type { Take } from "../../core/ratelimit/token_bucket.ts";
import type { Logger } from "../../lib/log.ts";
import { type RunResult, runScripts } from "./redis_batch.ts";
import { createRedisClient, type RedisClient } from "./redis_client.ts";
import { groupBySlot } from "./redis_slots.ts";
import { parseRedisUrl, type RedisTarget } from "./redis_url.ts";
import type { BucketStore } from "./store.ts";
import { fail, sampledParent, type SpanContext, tracingOn } from "../../lib/tracing.ts";
import { batchSpan } from "./redis_span.ts";
import { ADD_HITS_LUA, createHitCounter } from "./redis_hits.ts";

export { ADD_HITS_LUA };

/**
 * `core/ratelimit/token_bucket.ts` in Lua, for every key of the call (a batch of concurrent
 * checks: one round trip and one script run for many decisions, each key still atomic). State
 * `"<tokens>:<lastFillMs>"` under the key, expiring when the bucket would be full again (an
 * expired key reads as a full bucket), so idle keys cost no memory. ARGV holds
 * `maxTokens, tokensPerFill, fillIntervalMs` per key; the reply `allowed, remaining,
 * retryAfterMs, fullAfterMs` per key. Time is Redis time, so replica clocks never matter (§8 #33).
 */
export const TOKEN_BUCKET_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  local max = tonumber(ARGV[i * 3 - 2])
  local per = tonumber(ARGV[i * 3 - 1])
  local interval = tonumber(ARGV[i * 3])
  local tokens = max
  local last = now
  local state = redis.call('GET', key)
  if state then
    local sep = string.find(state, ':', 1, true)
    tokens = tonumber(string.sub(state, 1, sep - 1))
    last = tonumber(string.sub(state, sep + 1))
    if now > last then
      local fills = math.floor((now - last) / interval)
      if fills > 0 then
        tokens = math.min(max, tokens + fills * per)
        last = last + fills * interval
      end
    end
  end
  if tokens >= max then last = now end
  local allowed = 0
  if tokens >= 1 then
    tokens = tokens - 1
    allowed = 1
  end
  local since = now - last
  if since < 0 then since = 0 end
  local missing = max - tokens
  local full = 0
  if missing > 0 then full = math.ceil(missing / per) * interval - since end
  local retry = 0
  if allowed == 0 then retry = math.ceil((1 - tokens) / per) * interval - since end
  if missing > 0 then
    redis.call('SET', key, tokens .. ':' .. last, 'PX', math.max(math.ceil(full), 1))
  end
  out[#out + 1] = allowed
  out[#out + 1] = tokens
  out[#out + 1] = math.ceil(retry)
  out[#out + 1] = math.ceil(full)
end
return out
`;

export interface RedisStoreOptions {
  /** A URL (redis_url.ts forms, credentials inline) or a resolved target. */
  url: string | RedisTarget;
  /** Budget of one Redis command (§6.6); past it the bucket's failure mode applies. */
  commandTimeoutMs: number;
  /** Most Redis calls pending at once; more fail at once (the failure mode answers). */
  maxPending?: number;
  log?: Logger;
  /** Key prefix, so apigw's keys are recognisable and can share a Redis. */
  prefix?: string;
}

/** A hard cap far above what MAX_IN_FLIGHT batches of a healthy Redis keep pending. */
export const DEFAULT_MAX_PENDING = 1_000;

/** Batches in flight at once; more checks wait for the next batch (cf. a pipeline window). */
const MAX_IN_FLIGHT = 2;
/** Keys per script run: bounds the time one run holds Redis. */
const MAX_BATCH = 128;

interface Pending {
  key: string;
  bucket: GlobalTokenBucket;
  resolve(take: Take): void;
  reject(error: unknown): void;
  /** The sampled span of the check waiting, when tracing is on. */
  caller?: SpanContext | undefined;
}

/** A store over one ioredis client (pipelined automatically under concurrency). */
export function createRedisStore(
  options: RedisStoreOptions,
): BucketStore & {
  client: RedisClient;
  connected(timeoutMs: number): Promise<boolean>;
  renderMetrics(prefix: string): string;
} {
  const target = targetOf(options.url);
  const client = createRedisClient(target, {
    commandTimeoutMs: options.commandTimeoutMs,
    maxPending: options.maxPending ?? target.maxPending ?? DEFAULT_MAX_PENDING,
    ...(options.log !== undefined ? { log: options.log } : {}),
  });
  const { redis } = client;
  const cluster = client.target.topology === "cluster";
  // The key count varies per batch, so it is the command's first argument.
  redis.defineCommand("apigwTakeTokens", { lua: TOKEN_BUCKET_LUA });
  redis.defineCommand("apigwAddHits", { lua: ADD_HITS_LUA });
  let pending: Pending[] = [];
  let inFlight = 0;
  const windows = new Map<string, RateLimiterRedis>();
  const prefix = options.prefix ?? "apigw:rl";
  const addHits = createHitCounter(client, { command: "apigwAddHits", prefix, cluster });
  return {
    client,
    remote: true,
    connected: (timeoutMs) => client.ready(timeoutMs),
    renderMetrics: (metricPrefix) => client.renderMetrics(metricPrefix),
    take(key: string, bucket: GlobalTokenBucket, algorithm: GlobalAlgorithm): Promise<Take> {
      if (algorithm === "fixedWindow") {
        const limiter = windowFor(bucket);
        return client.call(() => fixedWindow(limiter, key));
      }
      return new Promise((resolve, reject) => {
        pending.push({
          key: `${prefix}:tb:${key}`,
          bucket,
          resolve,
          reject,
          caller: tracingOn() ? sampledParent() : undefined,
        });
        if (inFlight < MAX_IN_FLIGHT) flush();
      });
    },
    addHits,
    size: () => windows.size,
    async close() {
      client.close();
      await Promise.resolve();
    },
  };

  /**
   * Sends what is pending as one script run (on a cluster one per slot, pipelined per node).
   * The first check goes at once; checks arriving while batches are in flight ride on the next
   * one, so a busy replica needs far fewer round trips (and ioredis commands) than checks, and
   * an idle one adds no delay.
   */
  function flush(): void {
    if (pending.length === 0) return;
    const batch = pending.length <= MAX_BATCH ? pending : pending.slice(0, MAX_BATCH);
    pending = pending.length <= MAX_BATCH ? [] : pending.slice(MAX_BATCH);
    const groups = cluster ? groupBySlot(batch.map((item) => item.key)) : [batch.map((_, i) => i)];
    const runs = groups.map((group) => {
      const args: (string | number)[] = [group.length];
      for (const i of group) args.push(batch[i]!.key);
      for (const i of group) {
        const { bucket } = batch[i]!;
        args.push(bucket.maxTokens, bucket.tokensPerFill, bucket.fillIntervalMs);
      }
      return { firstKey: batch[group[0]!]!.key, args };
    });
    inFlight++;
    const span = tracingOn() ? batchSpan(batch.map((item) => item.caller), runs.length) : undefined;
    runScripts(client, "apigwTakeTokens", runs).then((results) => {
      const failed = results.find((result) => !result.ok);
      if (span !== undefined && failed !== undefined && !failed.ok) fail(span, failed.error);
      for (const [g, result] of results.entries()) settle(groups[g]!.map((i) => batch[i]!), result);
    }).finally(() => {
      span?.end();
      inFlight--;
      flush();
    });
  }

  /** Answers the checks of one script run. */
  function settle(items: Pending[], result: RunResult): void {
    if (!result.ok) {
      for (const item of items) item.reject(result.error);
      return;
    }
    const { reply } = result;
    if (!Array.isArray(reply) || reply.length !== items.length * 4) {
      const error = new TypeError(`Unexpected token bucket reply ${JSON.stringify(reply)}`);
      for (const item of items) item.reject(error);
      return;
    }
    for (const [i, item] of items.entries()) {
      item.resolve({
        allowed: Number(reply[i * 4]) === 1,
        remaining: Number(reply[i * 4 + 1]),
        retryAfterMs: Number(reply[i * 4 + 2]),
        fullAfterMs: Number(reply[i * 4 + 3]),
      });
    }
  }

  function windowFor(bucket: GlobalTokenBucket): RateLimiterRedis {
    const id = `${bucket.maxTokens}/${bucket.fillIntervalMs}`;
    let limiter = windows.get(id);
    if (limiter === undefined) {
      limiter = new RateLimiterRedis({
        storeClient: redis,
        points: bucket.maxTokens,
        duration: Math.max(1, Math.round(bucket.fillIntervalMs / 1000)),
        keyPrefix: `${prefix}:fw`,
        rejectIfRedisNotReady: true,
      });
      windows.set(id, limiter);
    }
    return limiter;
  }
}

/** rate-limiter-flexible rejects with a `RateLimiterRes` when limited, with an Error on failure. */
async function fixedWindow(limiter: RateLimiterRedis, key: string): Promise<Take> {
  try {
    const res = await limiter.consume(key, 1);
    return {
      allowed: true,
      remaining: res.remainingPoints,
      retryAfterMs: 0,
      fullAfterMs: res.msBeforeNext,
    };
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      return {
        allowed: false,
        remaining: 0,
        retryAfterMs: rejection.msBeforeNext,
        fullAfterMs: rejection.msBeforeNext,
      };
    }
    throw rejection;
  }
}

function targetOf(url: string | RedisTarget): RedisTarget {
  if (typeof url !== "string") return url;
  const parsed = parseRedisUrl(url);
  if (!parsed.ok) throw new TypeError(parsed.error);
  return parsed.value;
}
