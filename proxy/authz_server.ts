/**
 * `apigw authz` running: the check listener over the data plane (`createDataPlane`), the rule and
 * limit stores fed by a `RuleSource` (folder or cluster), the management listener, and the gRPC
 * rate limit service when configured. Stops gracefully when `signal` aborts (in-flight checks
 * finish), then ends the rate limit service, the JWKS fetches and the Redis connection.
 * `cli/authz.ts` turns flags into these settings.
 */
import type { Result } from "../config.ts";
import type { Logger } from "../lib/log.ts";
import type { HandlerDefaults } from "../core/authz/oathkeeper/strategies.ts";
import { authzDeps, type AuthzOptions, createAuthzHandler } from "./app.ts";
import { createGrpcCheck } from "./grpc/authz_service.ts";
import { type GrpcServer, startGrpcServer } from "./grpc/server.ts";
import type { ListenerLimits } from "./grpc/unary_types.ts";
import { createDataPlane } from "./dataplane.ts";
import { createManagementApp } from "./management.ts";
import type { GlobalLimitingOptions } from "./ratelimit/setup.ts";
import { createRuleStore } from "./rule_store.ts";
import type { RunningRls } from "./rls/setup.ts";
import type { RuleSource } from "./rule_source.ts";
import { createDashboard } from "./dashboard/server.ts";

/** Folder or cluster; a folder read in a worker has reader metrics and a worker to end. */
export type AuthzSource = RuleSource & { close?: () => void; metrics?: () => string };

export interface AuthzServerSettings {
  listen: { hostname: string; port: number };
  managementListen: { hostname: string; port: number };
  /** Where to serve the dashboard, if at all (`proxy/dashboard/`). */
  dashboardListen?: { hostname: string; port: number };
  /** The mesh's extension provider name: extAuth rules naming it are decided here. */
  providerName: string;
  handlerDefaults?: HandlerDefaults;
  idTokenSecret?: Uint8Array;
  idTokenRotateMs: number;
  tokenCacheEntries: number;
  limiting: GlobalLimitingOptions;
  check: AuthzOptions;
  /**
   * Address of the gRPC ext_authz listener (`envoy.service.auth.v3.Authorization/Check` and
   * `grpc.health.v1.Health`), deciding with the same deps as the HTTP check; off when undefined.
   */
  grpcListen?: { hostname: string; port: number };
  /** Most bytes of one gRPC message (default 1 MiB). */
  grpcMaxMessageBytes?: number;
  /** The gRPC listener's HTTP/2 layer (default: apigw's own). */
  grpcHttp2?: "apigw" | "node";
  /** The gRPC listener's connection cap and HTTP/2 limits (default: the layer's). */
  grpcLimits?: ListenerLimits;
  /** Where rules come from, for the startup log line. */
  sourceName: string;
  /**
   * Starts the gRPC rate limit service once the listeners serve; undefined when it is off. An
   * error stops startup.
   */
  startRls?: (log: Logger) => Promise<Result<RunningRls | undefined, string>>;
}

/** Serves until `signal` aborts; false when a listener could not start. */
export async function runAuthz(
  settings: AuthzServerSettings,
  source: AuthzSource,
  log: Logger,
  signal: AbortSignal,
): Promise<boolean> {
  const dashboard = settings.dashboardListen === undefined ? undefined : createDashboard({
    title: "apigw authz",
    index: () => store.current().index,
    canonical: settings.check.canonical,
    pipeline: settings.check.pipeline,
    log,
  });
  const plane = createDataPlane({
    log,
    tokenCacheEntries: settings.tokenCacheEntries,
    idTokenRotateMs: settings.idTokenRotateMs,
    ...(settings.idTokenSecret !== undefined ? { idTokenSecret: settings.idTokenSecret } : {}),
    limiting: settings.limiting,
    globalLimits: { current: () => store.current().globalLimits },
    ...(dashboard !== undefined ? { onDecision: dashboard.onDecision } : {}),
  });
  await plane.limiting.started;
  const store = createRuleStore({
    providerName: settings.providerName,
    ...(settings.handlerDefaults !== undefined
      ? { handlerDefaults: settings.handlerDefaults }
      : {}),
    log,
    metrics: plane.metrics,
    onIndex: (index) => plane.jwks.warm(index.jwksUris),
    ...(dashboard !== undefined ? { onLoad: dashboard.loaded } : {}),
  });
  const rules = { current: () => store.current().index };
  const handler = createAuthzHandler(plane, rules, settings.check);
  const grpcCheck = createGrpcCheck(authzDeps(plane, rules, settings.check));
  // Set once the listeners serve: /metrics then shows the rate limit service's families too.
  let rls: RunningRls | undefined = undefined;
  const management = createManagementApp({
    ready: store.ready,
    metrics: {
      render: () =>
        plane.renderMetrics() + (source.metrics?.() ?? "") + (rls?.renderMetrics() ?? ""),
    },
    jwks: () => plane.oathkeeper.signer.jwks(),
  });
  const stop = new AbortController();
  const onAbort = () => {
    stop.abort();
    void dashboard?.close();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  // "Serving ext_authz" waits for the source's first snapshot (compiled in the config worker
  // for a folder): logged earlier, a caller that trusts it would get 404s for known hosts.
  let firstLoaded = () => {};
  const firstLoad = new Promise<void>((resolve) => firstLoaded = resolve);
  const sourceDone = source.run((snapshot) => {
    store.load(snapshot);
    firstLoaded();
  }, stop.signal).catch((error) => {
    log.error("Rule source stopped", { error });
  });
  let checks: Deno.HttpServer<Deno.NetAddr> | undefined;
  let admin: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    checks = Deno.serve(
      { ...settings.listen, signal: stop.signal, onListen() {} },
      handler,
    );
    admin = Deno.serve(
      { ...settings.managementListen, signal: stop.signal, onListen() {} },
      management.fetch,
    );
    if (dashboard !== undefined && settings.dashboardListen !== undefined) {
      dashboard.listen(settings.dashboardListen);
    }
  } catch (error) {
    log.error("Failed to listen", { error });
    stop.abort();
    await Promise.all([checks?.finished, admin?.finished, sourceDone]);
    await dashboard?.close();
    await plane.close();
    source.close?.();
    return false;
  }
  let grpcServer: GrpcServer | undefined;
  if (settings.grpcListen !== undefined) {
    try {
      grpcServer = await startGrpcServer({
        ...settings.grpcListen,
        authz: { check: grpcCheck, serving: store.ready },
        ...(settings.grpcMaxMessageBytes !== undefined
          ? { maxMessageBytes: settings.grpcMaxMessageBytes }
          : {}),
        ...(settings.grpcHttp2 !== undefined ? { http2: settings.grpcHttp2 } : {}),
        ...(settings.grpcLimits !== undefined ? { limits: settings.grpcLimits } : {}),
        log,
      });
    } catch (error) {
      log.error("Failed to listen", { error: String(error), grpc: settings.grpcListen });
    }
  }
  const started = settings.grpcListen !== undefined && grpcServer === undefined
    ? { ok: false as const, error: "no gRPC ext_authz listener" }
    : await settings.startRls?.(log) ?? { ok: true as const, value: undefined };
  if (!started.ok) {
    log.error("Failed to start the gRPC services", { error: started.error });
    await grpcServer?.close(0);
    stop.abort();
    await Promise.all([checks.finished, admin.finished, sourceDone]);
    await dashboard?.close();
    await plane.close();
    source.close?.();
    return false;
  }
  rls = started.value;
  await Promise.race([firstLoad, sourceDone]);
  log.info("Serving ext_authz", {
    ...(rls !== undefined ? { rls: rls.listen } : {}),
    ...(grpcServer !== undefined ? { grpc: hostPort(grpcServer) } : {}),
    listen: `${checks.addr.hostname}:${checks.addr.port}`,
    management: `${admin.addr.hostname}:${admin.addr.port}`,
    pathPrefix: settings.check.pathPrefix,
    source: settings.sourceName,
    rateLimitStore: settings.limiting.redisUrl === undefined ? "memory" : "redis",
  });
  await Promise.all([checks.finished, admin.finished, sourceDone]);
  await Promise.all([rls?.close(), grpcServer?.close()]);
  signal.removeEventListener("abort", onAbort);
  await dashboard?.close();
  await plane.close();
  source.close?.();
  log.info("Stopped ext_authz");
  return true;
}

function hostPort(server: { hostname: string; port: number }): string {
  const host = server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname;
  return `${host}:${server.port}`;
}
