/**
 * The claim checks of Ory-style authenticators, run on every request whether the token's
 * verification or introspection came from a cache or not (the lesson of GHSA-qvp4-rpmr-xwrr,
 * docs/spec/dataplane.md §8 #31): active, `token_use`, `exp`, audience (all-of), issuer, scopes.
 */
import type { DenyReason } from "../decision.ts";
import { audiencesOf, grantedScopes, missingScope, type ScopeStrategy } from "./scope.ts";

export interface ClaimRequirements {
  requiredScope: readonly string[];
  targetAudience: readonly string[];
  trustedIssuers: readonly string[];
  scopeStrategy: ScopeStrategy;
}

export type ClaimFailure = {
  ok: false;
  status: 401 | 403;
  reason: Extract<
    DenyReason,
    | "token_inactive"
    | "token_not_access_token"
    | "token_expired"
    | "audience_not_allowed"
    | "issuer_not_trusted"
    | "insufficient_scope"
  >;
  /** The required scopes, for the RFC 6750 challenge. */
  scopes?: readonly string[];
};

export type ClaimCheck = { ok: true } | ClaimFailure;

/**
 * Oathkeeper's decision order for an introspection answer (§5.2): `token_use`, `active`, `exp`,
 * audience, issuer, scopes. `nowSeconds` is the request's time.
 */
export function checkIntrospected(
  result: Readonly<Record<string, unknown>>,
  requirements: ClaimRequirements,
  nowSeconds: number,
): ClaimCheck {
  const tokenUse = result.token_use;
  if (tokenUse !== undefined && tokenUse !== "access_token") {
    return { ok: false, status: 403, reason: "token_not_access_token" };
  }
  if (result.active !== true) return { ok: false, status: 401, reason: "token_inactive" };
  // RFC 7662 §2.2 grants scopes in `scope` only; Oathkeeper reads nothing else.
  const { scp: _scp, scopes: _scopes, ...claims } = result;
  return checkClaims(claims, requirements, nowSeconds);
}

/** `exp`, audience, issuer and scopes of verified or introspected claims. */
export function checkClaims(
  claims: Readonly<Record<string, unknown>>,
  requirements: ClaimRequirements,
  nowSeconds: number,
): ClaimCheck {
  const exp = claims.exp;
  if (typeof exp === "number" && exp <= nowSeconds) {
    return { ok: false, status: 401, reason: "token_expired" };
  }
  const audiences = audiencesOf(claims);
  if (!requirements.targetAudience.every((aud) => audiences.includes(aud))) {
    return { ok: false, status: 403, reason: "audience_not_allowed" };
  }
  if (
    requirements.trustedIssuers.length > 0 &&
    !(typeof claims.iss === "string" && requirements.trustedIssuers.includes(claims.iss))
  ) {
    return { ok: false, status: 403, reason: "issuer_not_trusted" };
  }
  const missing = missingScope(
    requirements.scopeStrategy,
    grantedScopes(claims),
    requirements.requiredScope,
  );
  return missing === undefined ? { ok: true } : {
    ok: false,
    status: 403,
    reason: "insufficient_scope",
    scopes: requirements.requiredScope,
  };
}
