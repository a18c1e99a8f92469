/**
 * A compiled gateway config as plain data, so the config worker can compile it and the serving
 * thread only rebuilds the few functions it holds (rule path matchers, CORS origin matchers, the
 * host index) before swapping it in. Structured clone keeps shared objects shared, so a rule
 * routed under several hosts stays one object.
 */
import { pathMatcher } from "../../core/authz/rule.ts";
import type { CompiledRule } from "../../core/authz/rule.ts";
import { policyIndex } from "../../core/authz/policy_index.ts";
import type { CompiledGateway, Route } from "./config.ts";
import { type Cors, originMatcher } from "./cors.ts";

export type PlainRule = Omit<CompiledRule, "matchesPath">;
type PlainCors = Omit<Cors, "allowsOrigin">;
type PlainRoute = Omit<Route, "rule" | "cors"> & { rule: PlainRule; cors?: PlainCors };

export interface PlainGateway {
  hosts: Map<string, PlainRule[]>;
  routes: Map<string, PlainRoute>;
  globalLimits: CompiledGateway["config"]["globalLimits"];
  problems: CompiledGateway["problems"];
  warnings: CompiledGateway["warnings"];
}

/**
 * The plain form of `compiled`, or undefined when it holds rules whose functions cannot be
 * rebuilt from data here (APIRule v1beta1 access rules): those are compiled on the serving thread.
 */
export function toPlain(compiled: CompiledGateway): PlainGateway | undefined {
  const plain = new Map<CompiledRule, PlainRule>();
  function plainRule(rule: CompiledRule): PlainRule | undefined {
    if (rule.auth.kind === "accessStrategies") return undefined;
    let found = plain.get(rule);
    if (found === undefined) {
      const { matchesPath: _, ...data } = rule;
      found = data;
      plain.set(rule, found);
    }
    return found;
  }
  const hosts = new Map<string, PlainRule[]>();
  for (const [host, rules] of compiled.config.index.hosts) {
    const list: PlainRule[] = [];
    for (const rule of rules) {
      const data = plainRule(rule);
      if (data === undefined) return undefined;
      list.push(data);
    }
    hosts.set(host, list);
  }
  const routes = new Map<string, PlainRoute>();
  for (const [id, route] of compiled.config.routes) {
    const rule = plainRule(route.rule);
    if (rule === undefined) return undefined;
    const { rule: _rule, cors, ...rest } = route;
    let plainCors: PlainCors | undefined;
    if (cors !== undefined) {
      const { allowsOrigin: _allows, ...data } = cors;
      plainCors = data;
    }
    routes.set(id, { ...rest, rule, ...(plainCors !== undefined ? { cors: plainCors } : {}) });
  }
  return {
    hosts,
    routes,
    globalLimits: compiled.config.globalLimits,
    problems: compiled.problems,
    warnings: compiled.warnings,
  };
}

/** The compiled config `plain` was made from, functions rebuilt. */
export function fromPlain(plain: PlainGateway): CompiledGateway {
  const rules = new Map<PlainRule, CompiledRule>();
  function rule(data: PlainRule): CompiledRule {
    let found = rules.get(data);
    if (found === undefined) {
      found = { ...data, matchesPath: pathMatcher(data.path) };
      rules.set(data, found);
    }
    return found;
  }
  const byHost = new Map<string, CompiledRule[]>();
  for (const [host, list] of plain.hosts) byHost.set(host, list.map(rule));
  const routes = new Map<string, Route>();
  for (const [id, data] of plain.routes) {
    const compiled = rule(data.rule);
    const { cors, ...rest } = data;
    routes.set(id, {
      ...rest,
      rule: compiled,
      cors: cors === undefined ? undefined : { ...cors, allowsOrigin: corsMatcher(cors) },
    });
  }
  return {
    config: {
      index: policyIndex(byHost),
      globalLimits: plain.globalLimits,
      routes,
    },
    problems: plain.problems,
    warnings: plain.warnings,
  };
}

function corsMatcher(cors: PlainCors): (origin: string) => boolean {
  const matcher = originMatcher(cors.allowOrigins);
  // The worker compiled these same origins; a regex that compiled there compiles here.
  if (!matcher.ok) throw new TypeError(`${matcher.error.field}: ${matcher.error.reason}`);
  return matcher.value;
}
