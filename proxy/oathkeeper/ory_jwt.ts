/**
 * Signature verification for the Ory-dialect `jwt` access strategy (`jwks_urls`,
 * `allowed_algorithms`): keys come from the shared JWKS manager (rotation, cooldown, size caps),
 * the token header's `jku`/`x5u`/`jwk` are never used, an unknown `kid` triggers one refetch.
 * Verified claims are cached by token hash per key configuration; the rule's claim checks
 * (checks.ts) run on every request.
 */
import { errors, jwtVerify } from "jose";
import type { DenyReason } from "../../core/authz/decision.ts";
import type { OryJwt } from "../../core/authz/oathkeeper/strategies.ts";
import type { Deadline, JwksManager } from "../jwt/jwks.ts";
import { type TokenCache, tokenHash } from "../jwt/token_cache.ts";

export type OryVerified =
  | { ok: true; payload: Readonly<Record<string, unknown>>; cached: boolean }
  | { ok: false; reason: DenyReason; status: 401 | 503; detail?: string };

export interface OryJwtVerifier {
  cached(token: string, strategy: OryJwt): OryVerified | undefined;
  verify(token: string, strategy: OryJwt, deadline?: Deadline): Promise<OryVerified>;
}

const MAX_TOKEN_BYTES = 8 * 1024;

/** Creates the verifier over the shared JWKS manager. */
export function createOryJwtVerifier(
  options: { jwks: JwksManager; cache: TokenCache; now?: () => number; maxCacheMs?: number },
): OryJwtVerifier {
  const now = options.now ?? Date.now;
  const maxCacheMs = options.maxCacheMs ?? 600_000;
  function keyOf(strategy: OryJwt): string {
    return `ory:${strategy.jwksUrls.join(" ")}|${strategy.allowedAlgorithms.join(",")}`;
  }
  function cached(token: string, strategy: OryJwt): OryVerified | undefined {
    if (token.length > MAX_TOKEN_BYTES) {
      return { ok: false, status: 401, reason: "token_too_large" };
    }
    const hit = options.cache.get(tokenHash(token), now());
    if (hit === undefined || hit.jwksUri !== keyOf(strategy)) return undefined;
    return { ok: true, payload: hit.payload, cached: true };
  }
  return {
    cached,
    async verify(token, strategy, deadline) {
      const known = cached(token, strategy);
      if (known !== undefined) return known;
      let unknownKid = false;
      for (const refetch of [false, true]) {
        for (const uri of strategy.jwksUrls) {
          const keys = refetch
            ? await options.jwks.refreshForUnknownKid(uri, kidOf(token), deadline)
            : await options.jwks.keys(uri, deadline).then((k) => (k.ok ? k.keys : k));
          if (keys === undefined) continue;
          if ("error" in keys) {
            return keys.late
              ? { ok: false, status: 503, reason: "deadline_exceeded" }
              : { ok: false, status: 503, reason: "jwks_unavailable", detail: keys.error };
          }
          try {
            const { payload } = await jwtVerify(token, keys.getKey, {
              algorithms: [...strategy.allowedAlgorithms],
              currentDate: new Date(now()),
            });
            const exp = typeof payload.exp === "number" ? payload.exp * 1000 : Infinity;
            options.cache.set(
              tokenHash(token),
              { issuer: "", jwksUri: keyOf(strategy), payload: { ...payload } },
              Math.min(exp, now() + maxCacheMs),
            );
            return { ok: true, payload: { ...payload }, cached: false };
          } catch (error) {
            if (error instanceof errors.JWKSNoMatchingKey) {
              unknownKid = true;
              continue;
            }
            return { ok: false, status: 401, reason: reasonOf(error) };
          }
        }
        if (!unknownKid) break;
      }
      return { ok: false, status: 401, reason: "unknown_key" };
    },
  };
}

function kidOf(token: string): string | undefined {
  try {
    const header: unknown = JSON.parse(
      atob(token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/")),
    );
    const kid = typeof header === "object" && header !== null && "kid" in header
      ? header.kid
      : undefined;
    return typeof kid === "string" && kid.length <= 256 ? kid : undefined;
  } catch {
    return undefined;
  }
}

function reasonOf(error: unknown): DenyReason {
  if (error instanceof errors.JWTExpired) return "token_expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === "nbf" ? "token_not_yet_valid" : "invalid_claims";
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "signature_invalid";
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm_not_allowed";
  if (error instanceof errors.JWKSMultipleMatchingKeys) return "ambiguous_key";
  if (error instanceof errors.JOSENotSupported) return "unsupported_token";
  return "malformed_token";
}
