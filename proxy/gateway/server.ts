/**
 * `apigw serve` running: the gateway handler (`createGateway`) over the data plane
 * (`createDataPlane`, shared with `apigw authz`) and the config store, the management listener,
 * the demo upstream when asked, and the folder watch. SIGINT/SIGTERM (`signal`) drain in-flight
 * requests, then stop. `cli/serve.ts` turns flags and files into these settings.
 */
import type { Logger } from "../../lib/log.ts";
import { createDataPlane } from "../dataplane.ts";
import { createManagementApp } from "../management.ts";
import type { ConfigReader } from "../config_reader.ts";
import { folderSource, type Snapshot } from "../rule_source.ts";
import { loadDevKey } from "./dev_key.ts";
import { createEcho } from "./echo.ts";
import { createGateway, type GatewayOptions } from "./handler.ts";
import { createHttp1Client } from "./http1_client.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { createGatewayStore } from "./store.ts";
import { createDashboard } from "../dashboard/server.ts";
import { describeLocalLimit, drawnBuckets } from "../dashboard/model.ts";
import type { RedisTarget } from "../ratelimit/redis_url.ts";

type Address = { hostname: string; port: number };

export interface GatewaySettings {
  /** The config folder and its first snapshot, read (and checked) at startup. */
  dir: string;
  first: Snapshot;
  /** Reads (and compiles) the folder in a worker within the size caps; the caller closes it. */
  reader: Pick<ConfigReader, "read" | "renderMetrics">;
  listen: Partial<Address>;
  managementListen: Partial<Address>;
  /** Where to serve the dashboard, if at all (`proxy/dashboard/`). */
  dashboardListen?: Partial<Address>;
  /** Where to serve the demo echo upstream (and the dev key's JWKS), if at all. */
  demo?: Address;
  stateDir: string;
  tls?: { cert: string; key: string };
  /** PEM CA certificates trusted for https upstreams, besides the system ones. */
  upstreamCa?: string;
  providerName: string;
  /** A URL or a resolved target (cli/redis_flags.ts): standalone, Sentinel or Cluster. */
  redisUrl?: string | RedisTarget | undefined;
  upstreamClient: "http1" | "fetch";
  gateway: GatewayOptions;
}

/** Serves until `signal` aborts; false when startup failed. */
export async function runGateway(
  settings: GatewaySettings,
  log: Logger,
  signal: AbortSignal,
): Promise<boolean> {
  const dashboard = settings.dashboardListen === undefined ? undefined : createDashboard({
    title: "apigw serve",
    index: () => store.current().index,
    extras(rule) {
      const route = store.current().routes.get(rule.id);
      return route === undefined ? undefined : {
        upstream: `${route.upstream.service} (${route.upstream.origin})`,
        limits: route.limits.flatMap(describeLocalLimit),
      };
    },
    drawsFrom: (rule, request) =>
      drawnBuckets(store.current().routes.get(rule.id)?.limits ?? [], request),
    canonical: settings.gateway.canonical,
    pipeline: settings.gateway.pipeline,
    log,
  });
  // The global limits of each route's workload, shared with `apigw authz`.
  const plane = createDataPlane({
    log,
    limiting: { redisUrl: settings.redisUrl, redisTimeoutMs: 50, localKeys: 100_000 },
    globalLimits: { current: () => store.current().globalLimits },
    ...(dashboard !== undefined ? { onDecision: dashboard.onDecision } : {}),
  });
  const metrics = createGatewayMetrics(plane);
  const store = createGatewayStore({
    providerName: settings.providerName,
    log,
    onReload: metrics.reload,
    ...(dashboard !== undefined ? { onLoad: dashboard.loaded } : {}),
    onConfig(config) {
      plane.jwks.warm(config.index.jwksUris);
      log.info("Loaded config", {
        routes: config.routes.size,
        hosts: [...config.index.hosts.keys()],
      });
      for (const route of config.routes.values()) {
        log.info("Serving route", {
          rule: route.rule.id,
          path: route.rule.path,
          methods: route.rule.methods,
          auth: route.rule.auth.kind,
          upstream: route.upstream.origin,
          rateLimits: route.limits.map((l) => l.name),
        });
      }
    },
  });
  await plane.limiting.started;
  const { tls, upstreamCa, demo } = settings;
  const client = upstreamCa === undefined
    ? undefined
    : Deno.createHttpClient({ caCerts: [upstreamCa] });
  const upstreamFetch: typeof fetch = client === undefined
    ? fetch
    : (input, init) => fetch(input, { ...init, client });
  const http1 = createHttp1Client();
  const stop = new AbortController();
  // Deno.serve's own `signal` closes open connections; `shutdown()` lets in-flight requests end.
  const onAbort = () => {
    stop.abort();
    for (const server of servers) server.shutdown();
    void dashboard?.close();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  let sourceDone: Promise<void> = Promise.resolve();
  try {
    if (demo !== undefined) {
      const key = await loadDevKey(settings.stateDir);
      const echo = Deno.serve(
        { ...demo, onListen() {} },
        createEcho([key.publicJwk]),
      );
      servers.push(echo);
      log.info("Serving demo upstream", {
        listen: `${echo.addr.hostname}:${echo.addr.port}`,
        jwks: `http://${echo.addr.hostname}:${echo.addr.port}/.well-known/jwks.json`,
        stateDir: settings.stateDir,
      });
    }
    store.load(settings.first);
    const scheme = tls === undefined ? "http" : "https";
    const handler = createGateway({
      config: store,
      accessStrategies: plane.oathkeeper.engine,
      globalLimiter: plane.limiting.step,
      verifier: plane.verifier,
      buckets: plane.localBuckets,
      metrics,
      log: log.child({ component: "access" }),
      fetch: upstreamFetch,
      ...(settings.upstreamClient === "http1" ? { http1 } : {}),
      options: settings.gateway,
      ...(plane.onDecision !== undefined ? { onDecision: plane.onDecision } : {}),
    }, scheme);
    const gateway = Deno.serve({
      ...settings.listen,
      ...(tls ?? {}),
      onListen() {},
    }, handler);
    servers.push(gateway);
    const management = createManagementApp({
      ready: store.ready,
      metrics: { render: () => metrics.render() + settings.reader.renderMetrics() },
    });
    const admin = Deno.serve(
      { ...settings.managementListen, onListen() {} },
      management.fetch,
    );
    servers.push(admin);
    if (dashboard !== undefined && settings.dashboardListen !== undefined) {
      servers.push(dashboard.listen(settings.dashboardListen));
    }
    sourceDone = watch(settings.dir, store.load, settings.reader.read, stop.signal, log);
    log.info("Serving gateway", {
      listen: `${scheme}://${gateway.addr.hostname}:${gateway.addr.port}`,
      management: `http://${admin.addr.hostname}:${admin.addr.port}`,
      config: settings.dir,
      routes: store.current().routes.size,
      http2: tls !== undefined,
    });
  } catch (error) {
    log.error("Failed to start", { error });
    onAbort();
    await Promise.all(servers.map((s) => s.finished));
    await dashboard?.close();
    await plane.close();
    client?.close();
    http1.close();
    return false;
  }
  await Promise.all([...servers.map((s) => s.finished), sourceDone]);
  signal.removeEventListener("abort", onAbort);
  await dashboard?.close();
  await plane.close();
  client?.close();
  http1.close();
  log.info("Stopped gateway");
  return true;
}

/** Reloads on change; a folder that cannot be watched (a compiled binary's) serves as loaded. */
async function watch(
  dir: string,
  load: (snapshot: Snapshot) => boolean,
  read: (dir: string) => Promise<Snapshot>,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  let initial = true;
  try {
    await folderSource(dir, { read }).run((snapshot) => {
      // The source re-reads the folder once at start: the startup load already served it.
      if (initial) initial = false;
      else load(snapshot);
    }, signal);
  } catch (error) {
    log.warn("Not watching the config folder: changes need a restart", { config: dir, error });
  }
}
