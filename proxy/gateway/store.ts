/**
 * The serving gateway config: folder snapshots are compiled off the request path and swapped in
 * whole (STYLE §6). The first load serves what is valid and reports the rest. A later snapshot
 * that cannot be read, or that has a problem the serving config did not have, is rejected: every
 * problem is reported (object, field, reason) and the last good config keeps serving.
 */
import type { Logger } from "../../lib/log.ts";
import { compilePolicyIndex } from "../../core/authz/policy_index.ts";
import type { Snapshot } from "../rule_source.ts";
import {
  type CompiledGateway,
  compileGateway,
  type ConfigProblem,
  type GatewayConfig,
} from "./config.ts";

export interface GatewayStore {
  current(): GatewayConfig;
  ready(): boolean;
  /** Compiles `snapshot` and swaps it in, or keeps the current config; true when swapped. */
  load(snapshot: Snapshot): boolean;
}

export interface GatewayStoreDeps {
  providerName: string;
  log: Logger;
  /** Called with every config swapped in (fetch JWKS, log the routes). */
  onConfig?: (config: GatewayConfig, compiled: CompiledGateway) => void;
  onReload?: (outcome: "ok" | "rejected", routes: number, problems: number) => void;
  /** Called after every load with what it refused (the dashboard's "last reload"). */
  onLoad?: (outcome: "ok" | "rejected", routes: number, refused: readonly ConfigProblem[]) => void;
}

const EMPTY: GatewayConfig = {
  index: compilePolicyIndex([], { providerName: "" }).index,
  routes: new Map(),
  globalLimits: { limits: [], byAddress: new Map(), problems: [] },
};

/** A store serving nothing until the first snapshot. */
export function createGatewayStore(deps: GatewayStoreDeps): GatewayStore {
  let config = EMPTY;
  let known: ReadonlySet<string> | undefined;
  return {
    current: () => config,
    ready: () => known !== undefined,
    load(snapshot) {
      if (!snapshot.ok) {
        deps.log.error("Rejected config; keeping the last good one", { reason: snapshot.error });
        deps.onReload?.("rejected", config.routes.size, 0);
        deps.onLoad?.("rejected", config.routes.size, [{
          object: "(config folder)",
          reason: snapshot.error,
        }]);
        return false;
      }
      // Compiled by the config worker when it could; else here.
      const compiled = snapshot.compiled ??
        compileGateway(snapshot.objects, { providerName: deps.providerName });
      const keys = new Set(compiled.problems.map(problemKey));
      const fresh = known === undefined
        ? []
        : compiled.problems.filter((p) => !known!.has(problemKey(p)));
      if (fresh.length > 0) {
        for (const problem of fresh) deps.log.error("Invalid object", { ...problem });
        deps.log.error("Rejected config; keeping the last good one", {
          problems: fresh.length,
          routes: config.routes.size,
        });
        deps.onReload?.("rejected", config.routes.size, compiled.problems.length);
        deps.onLoad?.("rejected", config.routes.size, fresh);
        return false;
      }
      if (known === undefined) {
        for (const problem of compiled.problems) {
          deps.log.warn("Not serving object", { ...problem });
        }
      }
      for (const warning of compiled.warnings) {
        deps.log.warn("Serving with a difference", { ...warning });
      }
      config = compiled.config;
      known = keys;
      deps.onReload?.("ok", config.routes.size, compiled.problems.length);
      deps.onLoad?.("ok", config.routes.size, compiled.problems);
      deps.onConfig?.(config, compiled);
      return true;
    },
  };
}

function problemKey(problem: ConfigProblem): string {
  return JSON.stringify([problem.object, problem.field ?? "", problem.reason]);
}
