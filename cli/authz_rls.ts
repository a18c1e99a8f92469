/**
 * The rate limit service of `apigw authz` (`--rls-listen`): chooses its configuration source
 * (`--rls-config DIR` or `--rls-configmap NAMESPACE/NAME`) and starts it (proxy/rls/setup.ts).
 */
import type { Result } from "../config.ts";
import { createKubeClient } from "../kube/client.ts";
import { loadConnection } from "../kube/connection.ts";
import type { Logger } from "../lib/log.ts";
import type { ListenerLimits } from "../proxy/grpc/unary_types.ts";
import type { RedisTarget } from "../proxy/ratelimit/redis_url.ts";
import type { RlsFailureMode } from "../proxy/rls/service.ts";
import { type RunningRls, startRls } from "../proxy/rls/setup.ts";
import { configMapRlsSource, folderRlsSource } from "../proxy/rls/source.ts";

export interface RlsFlags {
  listen?: { hostname: string; port: number } | undefined;
  configDir?: string | undefined;
  configMap?: string | undefined;
  kubeconfig?: string | undefined;
  redisUrl?: string | RedisTarget | undefined;
  redisTimeoutMs: number;
  localKeys: number;
  responseHeaders: boolean;
  failureMode: RlsFailureMode;
  /** The gRPC listener's HTTP/2 layer. */
  http2: "apigw" | "node";
  /** The gRPC listener's connection cap and HTTP/2 limits. */
  limits: ListenerLimits;
}

/** `NAMESPACE/NAME` of a ConfigMap. */
export function configMapRef(raw: string): Result<string, string> {
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(raw)
    ? { ok: true, value: raw }
    : { ok: false, error: `"${raw}" is not NAMESPACE/NAME of a ConfigMap` };
}

/** Starts the service when `--rls-listen` is given; undefined when it is not. */
export async function startRlsFromFlags(
  flags: RlsFlags,
  env: (name: string) => string | undefined,
  log: Logger,
): Promise<Result<RunningRls | undefined, string>> {
  if (flags.listen === undefined) {
    return flags.configDir === undefined && flags.configMap === undefined
      ? { ok: true, value: undefined }
      : { ok: false, error: "--rls-config and --rls-configmap need --rls-listen" };
  }
  if ((flags.configDir === undefined) === (flags.configMap === undefined)) {
    return {
      ok: false,
      error: "--rls-listen needs exactly one of --rls-config and --rls-configmap",
    };
  }
  let close = () => {};
  let source;
  if (flags.configDir !== undefined) source = folderRlsSource(flags.configDir);
  else {
    const connection = await loadConnection(flags.kubeconfig, env);
    if (!connection.ok) return connection;
    const client = createKubeClient(connection.value, { userAgent: "apigw-authz-rls" });
    close = () => client.close();
    const [namespace = "", name = ""] = (flags.configMap ?? "").split("/");
    source = configMapRlsSource(client, { namespace, name });
  }
  const started = await startRls({
    ...flags.listen,
    source,
    redisUrl: flags.redisUrl,
    redisTimeoutMs: flags.redisTimeoutMs,
    localKeys: flags.localKeys,
    responseHeaders: flags.responseHeaders,
    failureMode: flags.failureMode,
    http2: flags.http2,
    limits: flags.limits,
    log,
  });
  if (!started.ok) {
    close();
    return started;
  }
  return {
    ok: true,
    value: {
      listen: started.value.listen,
      renderMetrics: started.value.renderMetrics,
      async close() {
        await started.value.close();
        close();
      },
    },
  };
}
