/**
 * The serving gateway config of `apigw serve`: the one snapshot store (`../snapshot_store.ts`,
 * its reload rule shared with `apigw authz`) over the compiled gateway config.
 */
import type { Logger } from "../../lib/log.ts";
import { compilePolicyIndex } from "../../core/authz/policy_index.ts";
import { createSnapshotStore, type SnapshotStore } from "../snapshot_store.ts";
import { compileGateway, type ConfigProblem, type GatewayConfig } from "./config.ts";

export type GatewayStore = SnapshotStore<GatewayConfig>;

export interface GatewayStoreDeps {
  providerName: string;
  log: Logger;
  /** Called with every config swapped in (fetch JWKS, log the routes). */
  onConfig?: (config: GatewayConfig) => void;
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
  return createSnapshotStore({
    empty: EMPTY,
    compile(snapshot) {
      // Compiled by the config worker when it could; else here.
      const compiled = snapshot.compiled ??
        compileGateway(snapshot.objects, { providerName: deps.providerName });
      return { value: compiled.config, problems: compiled.problems, warnings: compiled.warnings };
    },
    size: (config) => config.routes.size,
    log: deps.log,
    ...(deps.onReload !== undefined ? { onReload: deps.onReload } : {}),
    ...(deps.onLoad !== undefined ? { onLoad: deps.onLoad } : {}),
    ...(deps.onConfig !== undefined ? { onSwap: deps.onConfig } : {}),
  });
}
