/**
 * The one JWT authenticator of the data plane: v2 `jwt` and `extAuth.restrictions` rules and the
 * v1beta1 `jwt` strategy in the Istio dialect find, verify and check their tokens here, so both
 * answer with the same stable reasons and RFC 6750 challenges. "No token" is not a deny here:
 * a v2 rule turns it into `missing_token`, the v1beta1 chain tries its next strategy.
 */
import { bearerChallenge, type Deny, deny } from "../../core/authz/decision.ts";
import { checkAuthorizations } from "../../core/authz/claims.ts";
import type { Authorization, JwtRequirement } from "../../core/authz/jwt_requirement.ts";
import { extractToken, hasLocation } from "../../core/authz/token.ts";
import type { CheckInput, Identity } from "../outcome.ts";
import type { Deadline } from "./jwks.ts";
import type { TokenVerifier, Verified } from "./verifier.ts";

export type JwtIdentity = Extract<Identity, { kind: "jwt" }>;
export type JwtAuthenticated = JwtIdentity | Deny | "no_token";

/** Finds the request's token where `jwt` allows and verifies it against its issuers. */
export function authenticateJwt(
  jwt: JwtRequirement,
  input: CheckInput,
  verifier: TokenVerifier,
  realm: string,
  deadline?: Deadline,
): JwtAuthenticated | Promise<JwtAuthenticated> {
  const extracted = extractToken(
    { headers: input.headers, query: input.request.query },
    jwt.locations,
  );
  if (extracted.kind === "none") return "no_token";
  if (extracted.kind === "invalid") return invalidToken(realm, extracted.reason);
  const candidates = jwt.authentications.length === 1
    ? jwt.authentications
    : jwt.authentications.filter((a) => hasLocation(a, extracted.locations));
  const cached = verifier.cached(extracted.token, candidates);
  if (cached !== undefined) return identityOf(cached, realm);
  return verifier.verify(extracted.token, candidates, deadline).then((verified) =>
    identityOf(verified, realm)
  );
}

function identityOf(verified: Verified, realm: string): JwtIdentity | Deny {
  if (verified.ok) {
    return {
      kind: "jwt",
      issuer: verified.issuer,
      payload: verified.payload,
      cached: verified.cached,
    };
  }
  // DP-AUTHZ-7: an explicit error status, so Envoy applies statusOnError (not a deny).
  if (verified.reason === "deadline_exceeded") return deny("deadline", 503, "deadline_exceeded");
  return invalidToken(realm, verified.reason, verified.detail);
}

/** 401 with the RFC 6750 `invalid_token` challenge: the token is there but not acceptable. */
export function invalidToken(realm: string, reason: Deny["reason"], detail?: string): Deny {
  return deny("authenticate", 401, reason, {
    wwwAuthenticate: bearerChallenge(realm, "invalid_token"),
    ...(detail !== undefined ? { detail } : {}),
  });
}

/** The 403 `insufficient_scope` deny when no alternative of `authorizations` holds, else none. */
export function unauthorized(
  payload: Readonly<Record<string, unknown>>,
  authorizations: readonly Authorization[],
  realm: string,
): Deny | undefined {
  const checked = checkAuthorizations(payload, authorizations);
  if (checked.ok) return undefined;
  return deny("authorize", 403, checked.reason, {
    wwwAuthenticate: bearerChallenge(realm, "insufficient_scope", checked.scopes),
  });
}
