/**
 * One APIRule v2 rule compiled for decisions: its path matcher (the same regex the rendered
 * VirtualService uses, core/apirule/paths.ts), its methods, and what it asks of a request.
 */
import type { JwtConfig, Rule } from "../../api/apirule/v2.ts";
import { pathRegex, WILDCARD_PATH } from "../apirule/paths.ts";
import type { AccessStrategy } from "./oathkeeper/strategies.ts";
import type { Mutator } from "./oathkeeper/mutators.ts";

/** Where a token may be found (dataplane.md §3.1). */
export type TokenLocation =
  /**
   * A header whose value starts with `prefix`. `scheme: true` is the RFC 6750 default
   * `Authorization: Bearer`: the scheme is matched case-insensitively, then one or more spaces.
   */
  | { kind: "header"; name: string; prefix: string; scheme?: boolean }
  | { kind: "param"; name: string };

export interface Authentication {
  issuer: string;
  /** Absent: found by OpenID Connect discovery from `issuer` (DP-JWKS-1 item 5). */
  jwksUri?: string;
  locations: readonly TokenLocation[];
}

/** One `authorizations[]` entry: all scopes (in one of scp/scope/scopes) and all audiences. */
export interface Authorization {
  requiredScopes: readonly string[];
  audiences: readonly string[];
}

export interface JwtRequirement {
  authentications: readonly Authentication[];
  /** Every distinct location of the authentications, computed once at compile time. */
  locations: readonly TokenLocation[];
  /** Alternatives; empty means any valid token of a configured issuer. */
  authorizations: readonly Authorization[];
}

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

/** The RFC 6750 defaults: `Authorization: Bearer …` and `?access_token=…`. */
export const DEFAULT_TOKEN_LOCATIONS: readonly TokenLocation[] = Object.freeze([
  { kind: "header", name: "authorization", prefix: "Bearer ", scheme: true },
  { kind: "param", name: "access_token" },
]);

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

/** The requirement of a `jwt` block (or `extAuth.restrictions`). */
export function jwtRequirement(config: JwtConfig): JwtRequirement {
  const authentications = (config.authentications ?? []).map((a) => ({
    issuer: a.issuer,
    jwksUri: a.jwksUri,
    locations: locationsOf(a.fromHeaders ?? [], a.fromParams ?? []),
  }));
  return {
    authentications,
    locations: uniqueLocations(authentications),
    authorizations: (config.authorizations ?? []).map((a) => ({
      requiredScopes: [...(a.requiredScopes ?? [])],
      audiences: [...(a.audiences ?? [])],
    })),
  };
}

// Envoy's jwt_authn uses the defaults only when neither headers nor params are configured.
function locationsOf(
  headers: readonly { name: string; prefix?: string }[],
  params: readonly string[],
): readonly TokenLocation[] {
  if (headers.length === 0 && params.length === 0) return DEFAULT_TOKEN_LOCATIONS;
  return [
    ...headers.map((h): TokenLocation => ({
      kind: "header",
      name: h.name.toLowerCase(),
      prefix: h.prefix ?? "",
    })),
    ...params.map((name): TokenLocation => ({ kind: "param", name })),
  ];
}

/** The distinct locations of `authentications`, in first-seen order. */
export function uniqueLocations(authentications: readonly Authentication[]): TokenLocation[] {
  const seen = new Map<string, TokenLocation>();
  for (const authentication of authentications) {
    for (const location of authentication.locations) {
      if (!seen.has(locationKey(location))) seen.set(locationKey(location), location);
    }
  }
  return [...seen.values()];
}

/** Two locations with the same key read the same token. */
export function locationKey(location: TokenLocation): string {
  return location.kind === "header"
    ? `h:${location.name}:${location.scheme === true ? "*bearer" : location.prefix}`
    : `q:${location.name}`;
}
