/**
 * What `apigw authz` serves from one snapshot: the rule index and the RateLimit `spec.global`
 * limits, compiled together (in the config worker for folders, `config_worker.ts`) and swapped in
 * together by the snapshot store (`rule_store.ts`), so a check never sees the rules of one
 * snapshot with the limits of another.
 */
import { compilePolicyIndex, EMPTY_INDEX, type PolicyIndex } from "../core/authz/policy_index.ts";
import type { HandlerDefaults } from "../core/authz/oathkeeper/strategies.ts";
import { type CompiledGlobalLimits, compileGlobalLimits } from "../core/ratelimit/global.ts";
import type { Compiled, ConfigProblem } from "./config_problem.ts";

export interface AuthzConfig {
  index: PolicyIndex;
  globalLimits: CompiledGlobalLimits;
}

export interface AuthzCompileOptions {
  /** The mesh's extension provider name: extAuth rules naming it are decided here. */
  providerName: string;
  /** Defaults of v1beta1 handler configs (Oathkeeper's config-file shape). */
  handlerDefaults?: HandlerDefaults;
}

export const EMPTY_AUTHZ_CONFIG: AuthzConfig = {
  index: EMPTY_INDEX,
  globalLimits: { limits: [], byAddress: new Map(), problems: [] },
};

/** Compiles the APIRules and RateLimits of `objects`; invalid ones are problems. */
export function compileAuthzConfig(
  objects: readonly unknown[],
  options: AuthzCompileOptions,
): Compiled<AuthzConfig> {
  const compiled = compilePolicyIndex(objects, options);
  const globalLimits = compileGlobalLimits(objects);
  const problems: ConfigProblem[] = [...compiled.problems, ...globalLimits.problems].map((p) => ({
    object: p.object,
    reason: p.message,
  }));
  return { value: { index: compiled.index, globalLimits }, problems };
}
