/**
 * The ioredis client of a `RedisTarget` (issue 20): ioredis' own standalone, Sentinel and
 * Cluster clients, all set up to fail fast rather than queue (no offline queue, no retries per
 * request, a command budget). Every call goes through `call()`, which caps the calls pending at
 * once (past the cap a call fails at once, so the bucket's failure mode answers and memory stays
 * bounded while Redis hangs) and hides the password in errors. Slot-map refreshes and failovers
 * (a slot's or the Sentinel group's master moving to another node) are counted.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { ConnectionOptions } from "node:tls";
import type { Logger } from "../../lib/log.ts";
import { hideSecret, type RedisTarget } from "./redis_url.ts";

export interface RedisClientOptions {
  /** Budget of one call; past it the call fails (ioredis may still finish it). */
  commandTimeoutMs: number;
  /** Most calls pending at once, timed-out ones included until ioredis settles them. */
  maxPending: number;
  log?: Logger;
}

export interface RedisClientStats {
  pending: number;
  peakPending: number;
  /** Calls refused because `maxPending` were pending. */
  capped: number;
  slotRefreshes: number;
  failovers: number;
}

export interface RedisClient {
  readonly redis: Redis | Cluster;
  readonly target: RedisTarget;
  /** Most calls pending at once. */
  readonly maxPending: number;
  /** Runs `run` within the budget and the cap; its errors carry no password. */
  call<T>(run: () => Promise<T>): Promise<T>;
  /** Waits up to `timeoutMs` for the first connection; false when Redis is not there yet. */
  ready(timeoutMs: number): Promise<boolean>;
  stats(): RedisClientStats;
  /** Prometheus text of the stats, metric names starting with `prefix` (`apigw_ratelimit`). */
  renderMetrics(prefix: string): string;
  close(): void;
}

/** Opens the client of `target` (it connects in the background). */
export function createRedisClient(target: RedisTarget, options: RedisClientOptions): RedisClient {
  const redis = target.topology === "cluster"
    ? new Cluster(target.nodes.map((n) => ({ ...n })), clusterOptions(target, options))
    : new Redis(nodeOptions(target, options));
  // Errors reach the callers of each command; the connection's own events only say it retries.
  redis.on("error", () => {});
  const stats: RedisClientStats = {
    pending: 0,
    peakPending: 0,
    capped: 0,
    slotRefreshes: 0,
    failovers: 0,
  };
  const failedOver = (detail: Record<string, unknown>) => {
    stats.failovers++;
    options.log?.warn("Redis master moved to another node", { redis: target.redacted, ...detail });
  };
  if (redis instanceof Cluster) watchSlots(redis, stats, failedOver);
  else {
    watchMaster(redis, failedOver);
    redis.on("ready", () => options.log?.info("Connected to Redis", { redis: target.redacted }));
  }
  return {
    redis,
    target,
    call<T>(run: () => Promise<T>): Promise<T> {
      if (stats.pending >= options.maxPending) {
        stats.capped++;
        return Promise.reject(
          new Error(`Redis ${target.redacted} has ${stats.pending} calls pending (the cap)`),
        );
      }
      stats.pending++;
      stats.peakPending = Math.max(stats.peakPending, stats.pending);
      let running: Promise<T>;
      try {
        running = run();
      } catch (error) {
        running = Promise.reject(error);
      }
      const settled = running.finally(() => stats.pending--);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Redis did not answer within ${options.commandTimeoutMs} ms`)),
          options.commandTimeoutMs,
        );
      });
      return Promise.race([settled, timeout]).then(
        (value) => {
          clearTimeout(timer);
          return value;
        },
        (error: unknown) => {
          clearTimeout(timer);
          settled.catch(() => {});
          throw scrubbed(error, target);
        },
      );
    },
    ready(timeoutMs) {
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
    maxPending: options.maxPending,
    stats: () => ({ ...stats }),
    renderMetrics: (prefix) => renderStats(prefix, target, stats, options.maxPending),
    close() {
      redis.disconnect();
    },
  };
}

function tlsOptions(target: RedisTarget): ConnectionOptions | undefined {
  if (!target.tls) return undefined;
  return target.ca === undefined ? {} : { ca: [target.ca] };
}

/** What a server connection needs, in every topology. */
function serverOptions(target: RedisTarget, options: RedisClientOptions) {
  const tls = tlsOptions(target);
  return {
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 1_000,
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
    ...(tls !== undefined ? { tls } : {}),
  } satisfies RedisOptions;
}

function nodeOptions(target: RedisTarget, options: RedisClientOptions) {
  const base = {
    ...serverOptions(target, options),
    enableOfflineQueue: false,
    db: target.db,
    // Reconnect quickly after an outage (or a failover); every command fails fast meanwhile.
    retryStrategy: (times: number) => Math.min(times * 50, 500),
    lazyConnect: false,
  } satisfies RedisOptions;
  if (target.topology === "standalone") {
    return { ...base, host: target.nodes[0]!.host, port: target.nodes[0]!.port };
  }
  const tls = tlsOptions(target);
  return {
    ...base,
    sentinels: target.nodes.map((n) => ({ ...n })),
    name: target.masterName ?? "",
    role: "master",
    // ioredis 6.0.0's +switch-master detector now and then left the client reconnecting
    // forever after a failover (2 of 5 runs of the Sentinel failover test); without it the
    // lost connection sends the client back to the sentinels, and a demoted master that stays
    // reachable answers READONLY, which reconnects it.
    failoverDetector: false,
    reconnectOnError: (error: Error) => error.message.startsWith("READONLY"),
    sentinelRetryStrategy: (times: number) => Math.min(times * 100, 1_000),
    ...(tls !== undefined ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
  } satisfies RedisOptions;
}

function clusterOptions(target: RedisTarget, options: RedisClientOptions) {
  return {
    enableOfflineQueue: false,
    // ioredis' cluster auto-pipelines group scripts by a key it guesses wrongly for our
    // variable key count, and then refuse the mixed pipeline; every script run is one slot's
    // command instead (the connection still pipelines them on the wire).
    enableAutoPipelining: false,
    // Re-reads the slot map every second besides on MOVED and lost connections, so a promoted
    // replica is found within about a second of its election.
    slotsRefreshInterval: 1_000,
    slotsRefreshTimeout: 500,
    maxRedirections: 6,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 50,
    clusterRetryStrategy: (times: number) => Math.min(times * 100, 1_000),
    redisOptions: serverOptions(target, options),
  } satisfies ClusterOptions;
}

/** Counts refreshes, and every master that lost its slots to another node between two. */
function watchSlots(
  cluster: Cluster,
  stats: RedisClientStats,
  failedOver: (detail: Record<string, unknown>) => void,
): void {
  let masters: (string | undefined)[] = [];
  cluster.on("refresh", () => {
    stats.slotRefreshes++;
    const now = cluster.slots.map((nodes) => nodes[0]);
    const moved = new Map<string, string>();
    for (const [slot, before] of masters.entries()) {
      const after = now[slot];
      if (before !== undefined && after !== undefined && before !== after) moved.set(before, after);
    }
    for (const [from, to] of moved) failedOver({ from, to });
    masters = now;
  });
}

/** Counts a ready connection on another address than the previous one (Sentinel failover). */
function watchMaster(
  redis: Redis,
  failedOver: (detail: Record<string, unknown>) => void,
): void {
  let last: string | undefined;
  redis.on("ready", () => {
    const stream: unknown = Reflect.get(redis, "stream");
    const host = stream === undefined ? undefined : Reflect.get(Object(stream), "remoteAddress");
    const port = stream === undefined ? undefined : Reflect.get(Object(stream), "remotePort");
    const now = `${String(host)}:${String(port)}`;
    if (last !== undefined && last !== now) failedOver({ from: last, to: now });
    last = now;
  });
}

/** Errors with the password hidden; other rejections (a limiter's answer) as they are. */
function scrubbed(error: unknown, target: RedisTarget): unknown {
  if (!(error instanceof Error)) return error;
  const message = hideSecret(error.message, target);
  if (message === error.message) return error;
  const copy = new Error(message);
  copy.name = error.name;
  return copy;
}

function renderStats(
  prefix: string,
  target: RedisTarget,
  stats: RedisClientStats,
  cap: number,
): string {
  const topology = `topology="${target.topology}"`;
  return [
    `# HELP ${prefix}_redis_pending_cap Most Redis calls allowed to be pending at once`,
    `# TYPE ${prefix}_redis_pending_cap gauge`,
    `${prefix}_redis_pending_cap{${topology}} ${cap}`,
    `# HELP ${prefix}_redis_pending Redis calls waiting for an answer`,
    `# TYPE ${prefix}_redis_pending gauge`,
    `${prefix}_redis_pending{${topology}} ${stats.pending}`,
    `# HELP ${prefix}_redis_pending_peak Most Redis calls ever pending at once`,
    `# TYPE ${prefix}_redis_pending_peak gauge`,
    `${prefix}_redis_pending_peak{${topology}} ${stats.peakPending}`,
    `# HELP ${prefix}_redis_capped_total Redis calls refused because the pending cap was reached`,
    `# TYPE ${prefix}_redis_capped_total counter`,
    `${prefix}_redis_capped_total{${topology}} ${stats.capped}`,
    `# HELP ${prefix}_redis_slot_refreshes_total Redis Cluster slot map refreshes`,
    `# TYPE ${prefix}_redis_slot_refreshes_total counter`,
    `${prefix}_redis_slot_refreshes_total{${topology}} ${stats.slotRefreshes}`,
    `# HELP ${prefix}_redis_failovers_total Redis masters seen moving to another node`,
    `# TYPE ${prefix}_redis_failovers_total counter`,
    `${prefix}_redis_failovers_total{${topology}} ${stats.failovers}`,
  ].join("\n") + "\n";
}
