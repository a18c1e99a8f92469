/**
 * A small model of how Istio treats a request, for property tests: VirtualService routing (first
 * matching HTTP route wins) and the AuthorizationPolicy decision of the routed workload (CUSTOM
 * policies first, then ALLOW policies; conditions on JWT claims and request principals never hold
 * for a request without a token).
 * See https://istio.io/latest/docs/concepts/security/#authorization-policies
 */
import type {
  AuthorizationPolicy,
  HTTPRoute,
  Operation,
  StringMatch,
} from "../../core/istio/types.ts";
import { pathRegex } from "../../core/apirule/paths.ts";

export interface ModelRequest {
  host: string;
  method: string;
  path: string;
}

function matches(match: StringMatch, value: string): boolean {
  if ("exact" in match) return match.exact === value;
  if ("prefix" in match) return value.startsWith(match.prefix);
  return new RegExp(match.regex).test(value);
}

/** The index of the route a request takes, or -1 when none matches. */
export function routeOf(routes: readonly HTTPRoute[], request: ModelRequest): number {
  return routes.findIndex((route) =>
    route.match.some((m) =>
      matches(m.uri, request.path) && (m.method === undefined || matches(m.method, request.method))
    )
  );
}

/** Istio path-template matching of an AuthorizationPolicy path (`{*}`, `{**}`, exact). */
export function policyPathMatches(template: string, path: string): boolean {
  return new RegExp(`^${pathRegex(template)}$`).test(path);
}

function operationMatches(operation: Operation, request: ModelRequest): boolean {
  if (operation.hosts !== undefined && !operation.hosts.includes(request.host)) return false;
  if (!operation.methods.includes(request.method)) return false;
  if (!operation.paths.some((p) => policyPathMatches(p, request.path))) return false;
  return !(operation.notPaths ?? []).some((p) => policyPathMatches(p, request.path));
}

export interface Decision {
  /** CUSTOM providers consulted for the request. */
  customProviders: string[];
  /** Whether an ALLOW policy admits the request with no token, from the ingress gateway. */
  allowedWithoutToken: boolean;
}

/** The authorization decision for a token-less request through the ingress gateway. */
export function decide(
  policies: readonly AuthorizationPolicy[],
  request: ModelRequest,
  ingressPrincipal: string,
): Decision {
  const customProviders: string[] = [];
  let allowedWithoutToken = false;
  for (const policy of policies) {
    for (const rule of policy.spec.rules) {
      if (!rule.to.some((t) => operationMatches(t.operation, request))) continue;
      if (policy.spec.action === "CUSTOM") {
        if (policy.spec.provider) customProviders.push(policy.spec.provider.name);
        continue;
      }
      const fromOk = rule.from === undefined ||
        rule.from.some(({ source }) =>
          (source.requestPrincipals === undefined || source.requestPrincipals.length === 0) &&
          (source.principals === undefined || source.principals.includes(ingressPrincipal))
        );
      // Every `when` condition in our policies reads a JWT claim: false without a token.
      const whenOk = rule.when === undefined || rule.when.length === 0;
      if (fromOk && whenOk) allowedWithoutToken = true;
    }
  }
  return { customProviders, allowedWithoutToken };
}
