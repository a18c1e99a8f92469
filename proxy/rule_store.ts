/**
 * The serving config of `apigw authz`: the one snapshot store (`snapshot_store.ts`, its reload
 * rule shared with `apigw serve`) over the rule index and the global limits of each snapshot
 * (`authz_config.ts`), compiled in the config worker when the snapshot comes from a folder.
 */
import type { Logger } from "../lib/log.ts";
import type { PolicyIndex } from "../core/authz/policy_index.ts";
import type { HandlerDefaults } from "../core/authz/oathkeeper/strategies.ts";
import { type AuthzConfig, compileAuthzConfig, EMPTY_AUTHZ_CONFIG } from "./authz_config.ts";
import type { ConfigProblem } from "./config_problem.ts";
import { createSnapshotStore, type SnapshotStore } from "./snapshot_store.ts";

export type { AuthzConfig };
export type RuleStore = SnapshotStore<AuthzConfig>;

export interface RuleStoreDeps {
  providerName: string;
  /** Defaults of v1beta1 handler configs (Oathkeeper's config-file shape). */
  handlerDefaults?: HandlerDefaults;
  log: Logger;
  metrics?: { indexLoaded(outcome: "ok" | "error", rules: number, problems: number): void };
  /** Called with every new index, e.g. to fetch its JWKS before the first request. */
  onIndex?: (index: PolicyIndex) => void;
  /** Called after every load with what it refused (the dashboard's "last reload"). */
  onLoad?: (outcome: "ok" | "rejected", rules: number, refused: readonly ConfigProblem[]) => void;
}

/** A store serving the empty index and no limits until the first snapshot. */
export function createRuleStore(deps: RuleStoreDeps): RuleStore {
  const options = {
    providerName: deps.providerName,
    ...(deps.handlerDefaults !== undefined ? { handlerDefaults: deps.handlerDefaults } : {}),
  };
  let limits = 0;
  return createSnapshotStore({
    empty: EMPTY_AUTHZ_CONFIG,
    // Compiled by the config worker when it could; else here (cluster snapshots, v1beta1 rules).
    compile: (snapshot) => snapshot.authz ?? compileAuthzConfig(snapshot.objects, options),
    size: (config) => config.index.ruleCount,
    log: deps.log,
    onReload(outcome, rules, problems) {
      deps.metrics?.indexLoaded(outcome === "ok" ? "ok" : "error", rules, problems);
    },
    ...(deps.onLoad !== undefined ? { onLoad: deps.onLoad } : {}),
    onSwap(config, compiled) {
      deps.log.info("Loaded rule index", {
        rules: config.index.ruleCount,
        hosts: config.index.hosts.size,
        skipped: compiled.problems.length,
      });
      if (config.globalLimits.limits.length > 0 || limits > 0) {
        deps.log.info("Loaded global rate limits", {
          rateLimits: config.globalLimits.limits.length,
          addresses: config.globalLimits.byAddress.size,
        });
      }
      limits = config.globalLimits.limits.length;
      deps.onIndex?.(config.index);
    },
  });
}
