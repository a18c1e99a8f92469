/**
 * What a `jwt` block (or `extAuth.restrictions`) asks of a request: issuers and where their
 * tokens are found, and the authorizations. A leaf module: the v2 rule (`rule.ts`) and the
 * v1beta1 strategies (`oathkeeper/strategies.ts`) both compile into it.
 */
import type { JwtConfig } from "../../api/apirule/v2.ts";

/** Where a token may be found (docs/spec/dataplane.md §3.1). */
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

/** The RFC 6750 defaults: `Authorization: Bearer …` and `?access_token=…`. */
export const DEFAULT_TOKEN_LOCATIONS: readonly TokenLocation[] = Object.freeze([
  { kind: "header", name: "authorization", prefix: "Bearer ", scheme: true },
  { kind: "param", name: "access_token" },
]);

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
