/**
 * The Redis bucket store (dataplane.md §6.3–6.6). The token bucket is one atomic Lua script on
 * Redis time (DP-RL-3; rate-limiter-flexible has no token bucket whose refill matches Envoy's),
 * the fixed window is rate-limiter-flexible's `RateLimiterRedis`. ioredis is set up to fail fast
 * instead of queueing for seconds: no offline queue, no retries per request, a command timeout.
 */
import { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { GlobalAlgorithm } from "../../api/ratelimit/v1alpha1.ts";
import type { GlobalTokenBucket } from "../../core/ratelimit/global.ts";
import type { Take } from "../../core/ratelimit/token_bucket.ts";
import type { BucketStore, WindowHit } from "./store.ts";
import {
  contextOf,
  fail,
  sampledParent,
  type SpanContext,
  SpanKind,
  startSpan,
  tracingOn,
} from "../../lib/tracing.ts";

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

/** `INCRBY` then `EXPIRE` per key (envoyproxy/ratelimit's pipeline), in one atomic script run. */
export const ADD_HITS_LUA = `
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('INCRBY', key, ARGV[i * 2 - 1])
  redis.call('EXPIRE', key, ARGV[i * 2])
end
return out
`;

export interface RedisStoreOptions {
  url: string;
  /** Budget of one Redis command (§6.6); past it the bucket's failure mode applies. */
  commandTimeoutMs: number;
  /** Key prefix, so apigw's keys are recognisable and can share a Redis. */
  prefix?: string;
}

type TakeCommand = (...args: (string | number)[]) => Promise<unknown>;

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

/** A store over one ioredis connection (pipelined automatically under concurrency). */
export function createRedisStore(
  options: RedisStoreOptions,
): BucketStore & { redis: Redis; connected(timeoutMs: number): Promise<boolean> } {
  const redis = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 1_000,
    // Reconnect quickly after an outage; every command fails fast meanwhile.
    retryStrategy: (times: number) => Math.min(times * 50, 500),
    enableAutoPipelining: true,
    lazyConnect: false,
  });
  // Errors reach the callers of each command; the connection's own events only say it retries.
  redis.on("error", () => {});
  // The key count varies per batch, so it is the command's first argument.
  redis.defineCommand("apigwTakeTokens", { lua: TOKEN_BUCKET_LUA });
  const takeTokens = bound(redis, "apigwTakeTokens");
  redis.defineCommand("apigwAddHits", { lua: ADD_HITS_LUA });
  const addHits = bound(redis, "apigwAddHits");
  let pending: Pending[] = [];
  let inFlight = 0;
  const windows = new Map<string, RateLimiterRedis>();
  const prefix = options.prefix ?? "apigw:rl";
  return {
    redis,
    remote: true,
    /** Waits up to `timeoutMs` for the first connection; false when Redis is not there yet. */
    connected(timeoutMs) {
      if (redis.status === "ready") return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (value: boolean) => {
          clearTimeout(timer);
          redis.off("ready", onReady);
          resolve(value);
        };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        redis.on("ready", onReady);
      });
    },
    take(key: string, bucket: GlobalTokenBucket, algorithm: GlobalAlgorithm): Promise<Take> {
      if (algorithm === "fixedWindow") return fixedWindow(windowFor(bucket), key);
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
    async addHits(hits: readonly WindowHit[]): Promise<number[]> {
      if (hits.length === 0) return [];
      const argv: (string | number)[] = [hits.length];
      for (const hit of hits) argv.push(`${prefix}:rls:${hit.key}`);
      for (const hit of hits) argv.push(hit.hits, hit.windowSeconds);
      const reply = await addHits(...argv);
      if (!Array.isArray(reply) || reply.length !== hits.length) {
        throw new TypeError(`Unexpected counter reply ${JSON.stringify(reply)}`);
      }
      return reply.map(Number);
    },
    size: () => windows.size,
    async close() {
      redis.disconnect();
      await Promise.resolve();
    },
  };

  /**
   * Sends what is pending as one script run. The first check goes at once; checks arriving while
   * batches are in flight ride on the next one, so a busy replica needs far fewer round trips
   * (and ioredis commands) than checks, and an idle one adds no delay.
   */
  function flush(): void {
    if (pending.length === 0) return;
    const batch = pending.length <= MAX_BATCH ? pending : pending.slice(0, MAX_BATCH);
    pending = pending.length <= MAX_BATCH ? [] : pending.slice(MAX_BATCH);
    const argv: (string | number)[] = [batch.length];
    for (const item of batch) argv.push(item.key);
    for (const { bucket } of batch) {
      argv.push(bucket.maxTokens, bucket.tokensPerFill, bucket.fillIntervalMs);
    }
    inFlight++;
    const span = tracingOn() ? batchSpan(batch) : undefined;
    takeTokens(...argv).then(
      (reply) => {
        if (!Array.isArray(reply) || reply.length !== batch.length * 4) {
          const error = new TypeError(`Unexpected token bucket reply ${JSON.stringify(reply)}`);
          for (const item of batch) item.reject(error);
          return;
        }
        for (const [i, item] of batch.entries()) {
          item.resolve({
            allowed: Number(reply[i * 4]) === 1,
            remaining: Number(reply[i * 4 + 1]),
            retryAfterMs: Number(reply[i * 4 + 2]),
            fullAfterMs: Number(reply[i * 4 + 3]),
          });
        }
      },
      (error: unknown) => {
        if (span !== undefined) fail(span, error);
        for (const item of batch) item.reject(error);
      },
    ).finally(() => {
      span?.end();
      inFlight--;
      flush();
    });
  }

  /**
   * One span per batched script run, linked to every sampled check it serves; a child of the
   * first of them. None when no check of the batch is sampled.
   */
  function batchSpan(batch: readonly Pending[]) {
    const callers = batch.flatMap((item) => item.caller === undefined ? [] : [item.caller]);
    if (callers.length === 0) return undefined;
    return startSpan("apigw.redis.take_tokens", {
      kind: SpanKind.CLIENT,
      parent: contextOf(callers[0]!),
      links: callers.map((context) => ({ context })),
      attributes: {
        "db.system.name": "redis",
        "db.operation.name": "EVALSHA",
        "apigw.redis.batch_size": batch.length,
      },
    });
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

function bound(redis: Redis, name: string): TakeCommand {
  const command: unknown = Reflect.get(redis, name);
  if (typeof command !== "function") {
    throw new TypeError(`ioredis did not define the command "${name}"`);
  }
  return (...args) => Reflect.apply(command, redis, args);
}
