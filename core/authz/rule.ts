/**
 * One APIRule v2 rule compiled for decisions: its path matcher (the same regex the rendered
 * VirtualService uses, core/apirule/paths.ts), its methods, and what it asks of a request.
 */
import type { Rule } from "../../api/apirule/v2.ts";
import { pathRegex, WILDCARD_PATH } from "../apirule/paths.ts";
import type { AccessStrategy } from "./oathkeeper/strategies.ts";
import type { Mutator } from "./oathkeeper/mutators.ts";
import { type JwtRequirement, jwtRequirement } from "./jwt_requirement.ts";

export {
  type Authentication,
  type Authorization,
  DEFAULT_TOKEN_LOCATIONS,
  type JwtRequirement,
  jwtRequirement,
  locationKey,
  type TokenLocation,
  uniqueLocations,
} from "./jwt_requirement.ts";

export type RuleAuth =
  | { kind: "noAuth" }
  | { kind: "jwt"; jwt: JwtRequirement }
  | {
    kind: "extAuth";
    authorizers: readonly string[];
    /** True when one authorizer names this service's extension provider. */
    served: boolean;
    restrictions?: JwtRequirement;
  }
  /** APIRule v1beta1: Oathkeeper access strategies tried in order, then mutators (oathkeeper/). */
  | {
    kind: "accessStrategies";
    strategies: readonly AccessStrategy[];
    mutators: readonly Mutator[];
  };

export interface CompiledRule {
  /** `namespace/name#index`: the APIRule and the rule's index in `spec.rules`. */
  id: string;
  apiRule: { namespace: string; name: string };
  index: number;
  path: string;
  methods: readonly string[];
  auth: RuleAuth;
  /** Whether the canonical `path` is matched by the rule's path. */
  matchesPath(path: string): boolean;
}

/** Compiles `rule` (already validated) of APIRule `namespace/name`. */
export function compileRule(
  rule: Rule,
  where: { namespace: string; name: string; index: number; providerName: string },
): CompiledRule {
  const { namespace, name, index } = where;
  return {
    id: `${namespace}/${name}#${index}`,
    apiRule: { namespace, name },
    index,
    path: rule.path,
    methods: [...rule.methods],
    auth: authOf(rule, where.providerName),
    matchesPath: pathMatcher(rule.path),
  };
}

/**
 * The matcher of a rule path: `/*` is a prefix match on `/`, anything else the anchored regex
 * of the VirtualService route, so routing and decisions agree by construction.
 */
export function pathMatcher(path: string): (candidate: string) => boolean {
  if (path === WILDCARD_PATH) return (candidate) => candidate.startsWith("/");
  if (!path.includes("{")) return (candidate) => candidate === path;
  let regex: RegExp;
  try {
    regex = new RegExp(`^${pathRegex(path)}$`);
    // V8 compiles on first use: a pattern too large must fail here, not per request.
    regex.test("");
  } catch {
    // Envoy would refuse such a route as well: it matches nothing.
    return () => false;
  }
  return (candidate) => regex.test(candidate);
}

function authOf(rule: Rule, providerName: string): RuleAuth {
  if (rule.extAuth !== undefined) {
    const restrictions = rule.extAuth.restrictions;
    return {
      kind: "extAuth",
      authorizers: [...rule.extAuth.authorizers],
      served: rule.extAuth.authorizers.includes(providerName),
      ...(restrictions !== undefined ? { restrictions: jwtRequirement(restrictions) } : {}),
    };
  }
  if (rule.jwt !== undefined) return { kind: "jwt", jwt: jwtRequirement(rule.jwt) };
  return { kind: "noAuth" };
}
