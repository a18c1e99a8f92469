/**
 * The operator process (`apigw operator`): informers fill the cache, trigger mappings turn their
 * events into keys on one work queue per controller, and — on the leader only — each controller's
 * workers reconcile those keys. Probes and metrics are served on every replica; readiness waits
 * for the informers. Leadership lost means the process ends (exit 1), as controller-runtime does.
 */
import type { OathkeeperImages } from "../core/apigateway/oathkeeper_deployment.ts";
import { LEGACY_OWNER_LABEL, OWNER_NAME_LABEL } from "../core/apirule/labels.ts";
import type { Logger } from "../lib/log.ts";
import type { ReviewTiming } from "../webhook/app.ts";
import { createKubeClient } from "../kube/client.ts";
import type { Connection } from "../kube/connection.ts";
import { createEventRecorder } from "../kube/events.ts";
import { LeaderElector } from "../kube/leader.ts";
import { WorkQueue } from "../kube/queue.ts";
import type { RateLimiterOptions } from "../kube/rate_limiter.ts";
import { crKey } from "./_events.ts";
import { apiGatewayController } from "./apigateway/controller.ts";
import { watchAPIGatewayTriggers } from "./apigateway/triggers.ts";
import { apiRuleController } from "./apirule/controller.ts";
import { watchAPIRuleTriggers } from "./apirule/triggers.ts";
import { ClusterCache } from "./cache.ts";
import { type Controller, runController } from "./controller.ts";
import { EchoFilter } from "./echo.ts";
import { createOperatorMetrics } from "./operator_metrics.ts";
import { probeHandler } from "./probes.ts";
import { statusPageHandler } from "./status_page.ts";
import { dashboardHosts } from "../lib/dashboard_http.ts";
import { rateLimitController } from "./ratelimit/controller.ts";
import { isControlledBy } from "./ratelimit/controller.ts";
import { watchRateLimitTriggers } from "./ratelimit/triggers.ts";
import {
  type CertificateMaterial,
  type CertificateSettings,
  type ServingServer,
  startWebhookCertificates,
} from "./certificate/mod.ts";

export interface ListenAddress {
  hostname: string;
  port: number;
}

/** Everything `apigw operator` is configured with (parsed once, frozen: cli/operator.ts). */
export interface OperatorConfig {
  /** Lease namespace (the operator's own). */
  namespace: string;
  metricsAddress: ListenAddress | undefined;
  probesAddress: ListenAddress | undefined;
  /** The read-only APIRule/RateLimit status page (`status_page.ts`); off when undefined. */
  dashboardAddress?: ListenAddress;
  leaderElection: {
    enabled: boolean;
    leaseName: string;
    identity: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  rateLimiter: RateLimiterOptions;
  reconciliationIntervalMs: number;
  concurrency: { apirule: number; ratelimit: number; apigateway: number };
  images: OathkeeperImages;
  moduleVersion: string;
  /** The controllers to run (`CONTROLLER_NAMES`); all when undefined. */
  controllers?: ReadonlySet<string>;
}

/** Every controller `apigw operator` can run (`--controllers`). */
export const CONTROLLER_NAMES = ["apirule", "ratelimit", "apigateway", "certificate"] as const;

const CONTROLLERS = [
  { name: "apirule", group: "gateway.kyma-project.io", kind: "APIRule" },
  { name: "ratelimit", group: "gateway.kyma-project.io", kind: "RateLimit" },
  { name: "apigateway", group: "operator.kyma-project.io", kind: "APIGateway" },
] as const;

/** The webhook server and its certificate, when `apigw operator` serves webhooks. */
export interface OperatorWebhooks {
  settings: CertificateSettings;
  material: CertificateMaterial;
  server: ServingServer;
  /** Hands the webhook app's per-review timings to the operator's metrics. */
  observeReviews?: (sink: (timing: ReviewTiming) => void) => void;
}

/** Runs the operator until `signal` aborts (exit 0) or leadership is lost (exit 1). */
export async function runOperator(
  config: OperatorConfig,
  deps: { connection: Connection; log: Logger; signal: AbortSignal; webhooks?: OperatorWebhooks },
): Promise<number> {
  const { log } = deps;
  const stop = new AbortController();
  const signal = AbortSignal.any([deps.signal, stop.signal]);
  const queues = {
    apirule: new WorkQueue(config.rateLimiter),
    ratelimit: new WorkQueue(config.rateLimiter),
    apigateway: new WorkQueue(config.rateLimiter),
  };
  let leader: LeaderElector | undefined;
  const metrics = createOperatorMetrics({
    queues: () => CONTROLLERS.map(({ name }) => ({ controller: name, ...queues[name].stats })),
    // Read at scrape time only, once the cache below exists.
    informers: () =>
      cache.informers.map((i) => ({ resource: i.name, synced: i.synced, objects: i.store.size })),
    owned: () => ownedCounts(cache),
    leader: () => leader === undefined ? true : leader.isLeader(),
  });
  deps.webhooks?.observeReviews?.((t) => {
    metrics.webhookDuration.observe({ webhook: t.webhook, code: String(t.code) }, t.seconds);
    metrics.webhookCompute.observe({ webhook: t.webhook }, t.computeSeconds);
  });
  const client = createKubeClient(deps.connection, {
    userAgent: `apigw/${config.moduleVersion}`,
    observe: (e) => {
      metrics.restRequests.inc({ method: e.method, code: String(e.status ?? "none") });
      if (e.method !== "WATCH") {
        metrics.restDuration.observe({ method: e.method }, e.durationMs / 1000);
      }
    },
  });
  const cache = new ClusterCache(client, log);
  const certificates = deps.webhooks === undefined ? undefined : startWebhookCertificates({
    client,
    log,
    signal,
    rateLimiter: config.rateLimiter,
    ...deps.webhooks,
  });
  const ready = () => cache.synced && (certificates?.ready() ?? true);
  for (const { name } of CONTROLLERS) {
    queues[name].onAdd = () => metrics.queueAdds.inc({ controller: name });
  }
  const echoes = {
    apirule: new EchoFilter(queues.apirule),
    ratelimit: new EchoFilter(queues.ratelimit),
    apigateway: new EchoFilter(queues.apigateway),
  };
  watchAPIRuleTriggers(cache, queues.apirule, echoes.apirule);
  watchRateLimitTriggers(cache, queues.ratelimit, echoes.ratelimit);
  watchAPIGatewayTriggers(cache, queues.apigateway, echoes.apigateway);
  const events = createEventRecorder(client, {
    component: "apigw",
    host: config.leaderElection.identity,
    log,
  });
  const now = () => new Date();
  const controllers: Record<keyof typeof queues, Controller> = {
    apirule: apiRuleController({
      client,
      cache,
      events,
      metrics,
      now,
      reconciliationIntervalMs: config.reconciliationIntervalMs,
    }),
    ratelimit: rateLimitController({ client, cache, events, now }),
    apigateway: apiGatewayController({
      client,
      cache,
      events,
      now,
      images: config.images,
      moduleVersion: config.moduleVersion,
    }),
  };
  const servers: Deno.HttpServer[] = [];
  const serve = (what: string, address: ListenAddress, handler: (r: Request) => Response) => {
    const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve({
      hostname: address.hostname,
      port: address.port,
      onListen: ({ hostname, port }) =>
        log.info(`Serving ${what}`, { address: `${hostname}:${port}` }),
    }, handler);
    servers.push(server);
    return server;
  };
  if (config.probesAddress !== undefined) {
    serve("probes", config.probesAddress, probeHandler({ ready }));
  }
  if (config.dashboardAddress !== undefined) {
    let hosts: readonly string[] = [];
    const page = serve(
      "status page",
      config.dashboardAddress,
      statusPageHandler({
        list: (kind) => cache.informer("gateway.kyma-project.io", kind).store.list(),
        hosts: () => hosts,
      }),
    );
    hosts = dashboardHosts(page.addr);
  }
  if (config.metricsAddress !== undefined) {
    serve(
      "metrics",
      config.metricsAddress,
      probeHandler({
        ready,
        metrics: () => metrics.registry.render(),
      }),
    );
  }

  const started = performance.now();
  const caching = cache.run(signal);
  await cache.waitSynced(signal);
  if (!signal.aborted) {
    log.info("Synced caches", { durationMs: Math.round(performance.now() - started) });
  }
  const enabled = (name: string) => config.controllers?.has(name) ?? true;
  const running = CONTROLLERS.filter(({ name }) => enabled(name));
  const runAll = async (leading: AbortSignal) => {
    for (const { name, group, kind } of running) {
      for (const object of cache.informer(group, kind).store.list()) {
        queues[name].add(crKey(object));
      }
    }
    const stopQueues = () => Object.values(queues).forEach((q) => q.shutDown());
    leading.addEventListener("abort", stopQueues);
    if (leading.aborted) stopQueues();
    log.info("Started controllers");
    await Promise.all([
      ...running.map(({ name }) =>
        runController(controllers[name], {
          queue: queues[name],
          log,
          metrics,
          concurrency: config.concurrency[name],
          echo: echoes[name],
          ...(leader === undefined ? {} : { leader }),
        }, leading)
      ),
      enabled("certificate") &&
      certificates?.lead(leading, { log, metrics, ...(leader === undefined ? {} : { leader }) }),
    ]);
    log.info("Stopped controllers");
  };
  let code = 0;
  if (!signal.aborted) {
    if (config.leaderElection.enabled) {
      leader = new LeaderElector(client, {
        namespace: config.namespace,
        name: config.leaderElection.leaseName,
        identity: config.leaderElection.identity,
        leaseDurationMs: config.leaderElection.leaseDurationMs,
        renewDeadlineMs: config.leaderElection.renewDeadlineMs,
        retryPeriodMs: config.leaderElection.retryPeriodMs,
      }, log);
      const result = await leader.run(signal, runAll);
      if (result === "lost") code = 1;
    } else {
      await runAll(signal);
    }
  }
  stop.abort();
  Object.values(queues).forEach((q) => q.shutDown());
  await caching;
  await certificates?.stopped;
  log.debug("Stopped informers");
  await Promise.all(servers.map((s) => s.shutdown()));
  log.debug("Stopped servers");
  client.close();
  log.info("Stopped operator", { exitCode: code });
  return code;
}

/** Objects each controller owns, counted in the cache. */
function ownedCounts(
  cache: ClusterCache,
): Array<{ controller: string; kind: string; count: number }> {
  const snapshot = cache.snapshot();
  const counts: Array<{ controller: string; kind: string; count: number }> = [];
  for (
    const [group, kind] of [
      ["networking.istio.io", "VirtualService"],
      ["security.istio.io", "AuthorizationPolicy"],
      ["security.istio.io", "RequestAuthentication"],
      ["oathkeeper.ory.sh", "Rule"],
    ] as const
  ) {
    const count = snapshot.list(group, kind).filter((o) => {
      const labels = o.metadata.labels ?? {};
      return labels[OWNER_NAME_LABEL] !== undefined || labels[LEGACY_OWNER_LABEL] !== undefined;
    }).length;
    counts.push({ controller: "apirule", kind, count });
  }
  counts.push({
    controller: "ratelimit",
    kind: "EnvoyFilter",
    count: snapshot.list("networking.istio.io", "EnvoyFilter").filter((o) =>
      isControlledBy(o, o.metadata.name ?? "")
    ).length,
  });
  return counts;
}
