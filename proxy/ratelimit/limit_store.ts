/**
 * The serving set of global limits: each rule snapshot (folder or cluster) is compiled off the
 * request path and swapped in as a whole (STYLE §6), next to the rule index. Invalid RateLimits
 * are reported and skipped; an unreadable snapshot keeps the last good set.
 */
import type { Logger } from "../../lib/log.ts";
import { type CompiledGlobalLimits, compileGlobalLimits } from "../../core/ratelimit/global.ts";
import type { Snapshot } from "../rule_source.ts";

export interface LimitStore {
  current(): CompiledGlobalLimits;
  load(snapshot: Snapshot): void;
}

const EMPTY: CompiledGlobalLimits = { limits: [], byAddress: new Map(), problems: [] };

/** A store serving no limits until the first good snapshot. */
export function createLimitStore(deps: { log: Logger }): LimitStore {
  let compiled = EMPTY;
  return {
    current: () => compiled,
    load(snapshot) {
      if (!snapshot.ok) return; // The rule store logs the failed snapshot.
      const next = compileGlobalLimits(snapshot.objects);
      for (const problem of next.problems) {
        deps.log.warn("Skipped object", { object: problem.object, problem: problem.message });
      }
      if (next.limits.length > 0 || compiled.limits.length > 0) {
        deps.log.info("Loaded global rate limits", {
          rateLimits: next.limits.length,
          addresses: next.byAddress.size,
        });
      }
      compiled = next;
    },
  };
}
