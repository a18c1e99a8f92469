/**
 * The dashboard's listener for a front end: the feed the data plane reports to, the record of
 * the last reload, the dry-run explainer and the Hono app on its own `Deno.serve`. `runGateway`
 * and `runAuthz` build one only when `--dashboard-listen` is given.
 */
import type { Logger } from "../../lib/log.ts";
import type { CanonicalOptions } from "../../core/authz/canonical.ts";
import type { PolicyIndex } from "../../core/authz/policy_index.ts";
import type { CompiledRule } from "../../core/authz/rule.ts";
import type { LimitedRequest } from "../../core/ratelimit/global.ts";
import type { PipelineOptions } from "../outcome.ts";
import type { DecisionObserver } from "../decisions.ts";
import { createDashboardApp, dashboardHosts } from "./app.ts";
import { createDryRun } from "./dry_run.ts";
import { createDecisionFeed } from "./feed.ts";
import { type RefusedObject, type ReloadRecord, type RouteExtras, routeRows } from "./model.ts";

export interface DashboardSettings {
  title: string;
  index(): PolicyIndex;
  /** Upstream and limits of a rule's route (`apigw serve`). */
  extras?: (rule: CompiledRule) => RouteExtras | undefined;
  /** The local buckets a request would draw from on a rule's route (`apigw serve`). */
  drawsFrom?: (rule: CompiledRule, request: LimitedRequest) => readonly string[];
  canonical: CanonicalOptions;
  pipeline: PipelineOptions;
  log: Logger;
}

export interface Dashboard {
  /** For `createDataPlane({ onDecision })`. */
  onDecision: DecisionObserver;
  /** Records a load and what it refused. */
  loaded(outcome: "ok" | "rejected", routes: number, refused: readonly RefusedObject[]): void;
  /** Starts the listener; the server finishes after `close()`. */
  listen(address: { hostname?: string; port?: number }): Deno.HttpServer<Deno.NetAddr>;
  /** Ends the live streams (so the listener can drain) and the dry-run explainer. */
  close(): Promise<void>;
}

export function createDashboard(settings: DashboardSettings): Dashboard {
  const feed = createDecisionFeed();
  let lastReload: ReloadRecord | undefined;
  let hosts: readonly string[] = [];
  const dryRun = createDryRun({
    index: settings.index,
    canonical: settings.canonical,
    pipeline: settings.pipeline,
    ...(settings.drawsFrom !== undefined ? { limitsOf: settings.drawsFrom } : {}),
  });
  const app = createDashboardApp({
    title: settings.title,
    routes: () => routeRows(settings.index(), settings.extras),
    lastReload: () => lastReload,
    feed,
    dryRun,
    hosts: () => hosts,
  });
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  let closed: Promise<void> | undefined;
  return {
    onDecision: feed.push,
    loaded(outcome, routes, refused) {
      lastReload = { at: Date.now(), outcome, routes, refused: [...refused] };
    },
    listen(address) {
      server = Deno.serve({ ...address, onListen() {} }, app.fetch);
      hosts = dashboardHosts(server.addr);
      settings.log.info("Serving dashboard", {
        listen: `http://${hosts[0]}`,
      });
      return server;
    },
    close() {
      closed ??= (async () => {
        feed.close();
        await server?.shutdown();
        await dryRun.close();
      })();
      return closed;
    },
  };
}
