/**
 * The gRPC rate limit service of `apigw authz` (`--rls-listen`): its configuration source (a
 * folder or a ConfigMap, reloaded on change, the last good configuration kept), its counter
 * store (Redis with a URL, else process memory) and its gRPC listener. Bad configuration at
 * startup stops it, listing every problem.
 */
import type { Logger } from "../../lib/log.ts";
import { startGrpcServer } from "../grpc/server.ts";
import type { ListenerLimits } from "../grpc/unary_types.ts";
import { createMemoryStore } from "../ratelimit/memory_store.ts";
import { createRedisStore } from "../ratelimit/redis_store.ts";
import type { RedisTarget } from "../ratelimit/redis_url.ts";
import type { BucketStore } from "../ratelimit/store.ts";
import { parseRlsConfig, type RlsConfig } from "./config.ts";
import { createRlsMetrics } from "./metrics.ts";
import { createRlsService, type RlsFailureMode } from "./service.ts";
import type { FileSet, RlsSource } from "./source.ts";

export interface RlsOptions {
  hostname: string;
  port: number;
  source: RlsSource;
  redisUrl?: string | RedisTarget | undefined;
  redisTimeoutMs: number;
  localKeys: number;
  responseHeaders: boolean;
  failureMode: RlsFailureMode;
  /** The gRPC listener's HTTP/2 layer (default: apigw's own). */
  http2?: "apigw" | "node";
  /** The gRPC listener's connection cap and HTTP/2 limits (default: the layer's). */
  limits?: ListenerLimits;
  log: Logger;
}

export interface RunningRls {
  readonly listen: string;
  /** The service's metrics in the Prometheus text format. */
  renderMetrics(): string;
  close(): Promise<void>;
}

export type StartedRls = { ok: true; value: RunningRls } | { ok: false; error: string };

/** Reads the first configuration, then serves; a first configuration with problems is an error. */
export async function startRls(options: RlsOptions): Promise<StartedRls> {
  const log = options.log.child({ component: "rls" });
  const stop = new AbortController();
  let config: RlsConfig | undefined;
  let first: ((error: string | undefined) => void) | undefined;
  const firstLoad = new Promise<string | undefined>((resolve) => (first = resolve));
  const apply = (files: FileSet) => {
    const parsed = files.ok
      ? parseRlsConfig(files.files)
      : { ok: false as const, error: [files.error] };
    if (parsed.ok) {
      config = parsed.value;
      log.info("Loaded rate limit configuration", { domains: [...parsed.value.domains.keys()] });
    } else if (config !== undefined) {
      log.error("Failed to reload rate limit configuration; kept the last good one", {
        problems: parsed.error,
      });
    }
    first?.(parsed.ok ? undefined : parsed.error.join("\n"));
    first = undefined;
  };
  const sourceDone = options.source.run(apply, stop.signal).catch((error) => {
    log.error("Rate limit configuration source stopped", { error: String(error) });
    first?.(String(error));
  });
  const problem = await firstLoad;
  if (problem !== undefined) {
    stop.abort();
    await sourceDone;
    return { ok: false, error: `Invalid rate limit configuration:\n${problem}` };
  }
  const store = await openStore(options, log);
  const metrics = createRlsMetrics();
  let server;
  try {
    server = await startGrpcServer({
      hostname: options.hostname,
      port: options.port,
      shouldRateLimit: createRlsService({
        config: () => config,
        store,
        responseHeaders: options.responseHeaders,
        failureMode: options.failureMode,
        metrics,
        onStoreError: (error) =>
          log.warn("Failed to count rate limit hits", { error: String(error) }),
      }),
      serving: () => config !== undefined,
      ...(options.http2 !== undefined ? { http2: options.http2 } : {}),
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      log,
    });
  } catch (error) {
    stop.abort();
    await sourceDone;
    await store.close();
    return { ok: false, error: `Cannot listen on ${options.hostname}:${options.port}: ${error}` };
  }
  const host = server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname;
  return {
    ok: true,
    value: {
      listen: `${host}:${server.port}`,
      renderMetrics: () => metrics.render() + (store.renderMetrics?.("apigw_rls") ?? ""),
      async close() {
        stop.abort();
        await server.close();
        await sourceDone;
        await store.close();
      },
    },
  };
}

/** The store, and for Redis the metrics of its client (pending calls, failovers). */
async function openStore(
  options: RlsOptions,
  log: Logger,
): Promise<BucketStore & { renderMetrics?(prefix: string): string }> {
  if (options.redisUrl === undefined) return createMemoryStore({ maxKeys: options.localKeys });
  const redis = createRedisStore({
    url: options.redisUrl,
    commandTimeoutMs: options.redisTimeoutMs,
    log,
  });
  if (!await redis.connected(2_000)) {
    log.warn(
      "Failed to reach Redis at startup; rate limit calls apply the failure mode until it is",
    );
  }
  return redis;
}
