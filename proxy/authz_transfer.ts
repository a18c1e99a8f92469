/**
 * `apigw authz`'s compiled config as plain data, so the config worker compiles it and the serving
 * thread only rebuilds each rule's path matcher and the host index before swapping it in (the
 * gateway's counterpart is `gateway/compiled_transfer.ts`). Structured clone keeps shared objects
 * shared, so a rule routed under several hosts stays one object.
 */
import { pathMatcher } from "../core/authz/rule.ts";
import type { CompiledRule } from "../core/authz/rule.ts";
import { policyIndex } from "../core/authz/policy_index.ts";
import type { AuthzConfig } from "./authz_config.ts";
import type { Compiled, ConfigProblem } from "./config_problem.ts";

export type PlainRule = Omit<CompiledRule, "matchesPath">;

export interface PlainAuthz {
  hosts: Map<string, PlainRule[]>;
  globalLimits: AuthzConfig["globalLimits"];
  problems: readonly ConfigProblem[];
}

/**
 * The plain form of `compiled`, or undefined when it holds rules whose functions cannot be
 * rebuilt from data here (APIRule v1beta1 access rules): those are compiled on the serving thread.
 */
export function authzToPlain(compiled: Compiled<AuthzConfig>): PlainAuthz | undefined {
  const plain = new Map<CompiledRule, PlainRule>();
  const hosts = new Map<string, PlainRule[]>();
  for (const [host, rules] of compiled.value.index.hosts) {
    const list: PlainRule[] = [];
    for (const rule of rules) {
      if (rule.auth.kind === "accessStrategies") return undefined;
      let found = plain.get(rule);
      if (found === undefined) {
        const { matchesPath: _, ...data } = rule;
        found = data;
        plain.set(rule, found);
      }
      list.push(found);
    }
    hosts.set(host, list);
  }
  return { hosts, globalLimits: compiled.value.globalLimits, problems: compiled.problems };
}

/** The compiled config `plain` was made from, functions rebuilt. */
export function authzFromPlain(plain: PlainAuthz): Compiled<AuthzConfig> {
  const rules = new Map<PlainRule, CompiledRule>();
  const byHost = new Map<string, CompiledRule[]>();
  for (const [host, list] of plain.hosts) {
    byHost.set(
      host,
      list.map((data) => {
        let found = rules.get(data);
        if (found === undefined) {
          found = { ...data, matchesPath: pathMatcher(data.path) };
          rules.set(data, found);
        }
        return found;
      }),
    );
  }
  return {
    value: { index: policyIndex(byHost), globalLimits: plain.globalLimits },
    problems: plain.problems,
  };
}
