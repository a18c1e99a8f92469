/**
 * The serving rule index: snapshots from a `RuleSource` are compiled off the request path and
 * swapped in as a whole (STYLE §6). Invalid objects are reported and skipped; a snapshot that
 * cannot be read at all keeps the last good index.
 */
import type { Logger } from "../lib/log.ts";
import { compilePolicyIndex, EMPTY_INDEX, type PolicyIndex } from "../core/authz/policy_index.ts";
import type { HandlerDefaults } from "../core/authz/oathkeeper/strategies.ts";
import type { Snapshot } from "./rule_source.ts";

export interface RuleStore {
  current(): PolicyIndex;
  ready(): boolean;
  /** Compiles and swaps in `snapshot`; a failed snapshot keeps the current index. */
  load(snapshot: Snapshot): void;
}

export interface RuleStoreDeps {
  providerName: string;
  /** Defaults of v1beta1 handler configs (Oathkeeper's config-file shape). */
  handlerDefaults?: HandlerDefaults;
  log: Logger;
  metrics?: { indexLoaded(outcome: "ok" | "error", rules: number, problems: number): void };
  /** Called with every new index, e.g. to fetch its JWKS before the first request. */
  onIndex?: (index: PolicyIndex) => void;
  /** Called after every load with what it skipped (the dashboard's "last reload"). */
  onLoad?: (
    outcome: "ok" | "rejected",
    rules: number,
    refused: readonly { object: string; reason: string }[],
  ) => void;
}

/** A store serving the empty index until the first good snapshot. */
export function createRuleStore(deps: RuleStoreDeps): RuleStore {
  let index = EMPTY_INDEX;
  let loaded = false;
  return {
    current: () => index,
    ready: () => loaded,
    load(snapshot) {
      if (!snapshot.ok) {
        deps.log.error("Failed to load rules; keeping the last good index", {
          error: snapshot.error,
          rules: index.ruleCount,
        });
        deps.metrics?.indexLoaded("error", index.ruleCount, 0);
        deps.onLoad?.("rejected", index.ruleCount, [{ object: "(rules)", reason: snapshot.error }]);
        return;
      }
      const compiled = compilePolicyIndex(snapshot.objects, {
        providerName: deps.providerName,
        ...(deps.handlerDefaults !== undefined ? { handlerDefaults: deps.handlerDefaults } : {}),
      });
      for (const problem of compiled.problems) {
        deps.log.warn("Skipped object", { object: problem.object, problem: problem.message });
      }
      index = compiled.index;
      loaded = true;
      deps.metrics?.indexLoaded("ok", index.ruleCount, compiled.problems.length);
      deps.log.info("Loaded rule index", {
        rules: index.ruleCount,
        hosts: index.hosts.size,
        skipped: compiled.problems.length,
      });
      deps.onLoad?.(
        "ok",
        index.ruleCount,
        compiled.problems.map((p) => ({ object: p.object, reason: p.message })),
      );
      deps.onIndex?.(index);
    },
  };
}
