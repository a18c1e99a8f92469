/**
 * JWT verification for APIRule `jwt` rules (docs/spec/dataplane.md §3.3, §4.1): size and shape checks
 * before any decoding, the algorithm allow-list, the issuer chosen by exact `iss`, keys from the
 * JWKS manager only (header `jwk`/`jku`/`x5u`/`x5c` are ignored), one refetch on an unknown
 * `kid`, then claim types. Successful verifications are cached by token hash.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from "jose";
import { claimTypesValid } from "../../core/authz/claims.ts";
import type { DenyReason } from "../../core/authz/decision.ts";
import type { Authentication } from "../../core/authz/rule.ts";
import type { Deadline, JwksManager, KeySet } from "./jwks.ts";
import { type TokenCache, tokenHash } from "./token_cache.ts";

export type Verified =
  | { ok: true; issuer: string; payload: Readonly<Record<string, unknown>>; cached: boolean }
  | { ok: false; reason: VerifyReason; detail?: string };

export type VerifyReason = Extract<
  DenyReason,
  | "malformed_token"
  | "token_too_large"
  | "algorithm_not_allowed"
  | "invalid_key_id"
  | "issuer_not_configured"
  | "unknown_key"
  | "ambiguous_key"
  | "signature_invalid"
  | "token_expired"
  | "token_not_yet_valid"
  | "invalid_claims"
  | "unsupported_token"
  | "jwks_unavailable"
  | "deadline_exceeded"
>;

/** The narrow interface the pipeline uses. */
export interface TokenVerifier {
  /** The cached verification of `token` for one of `authentications`, without waiting. */
  cached(token: string, authentications: readonly Authentication[]): Verified | undefined;
  /** Verifies `token` for one of `authentications` (chosen by the token's `iss`). */
  verify(
    token: string,
    authentications: readonly Authentication[],
    deadline?: Deadline,
  ): Promise<Verified>;
}

export interface CacheObserver {
  jwtCache(hit: boolean): void;
}

export interface VerifierOptions {
  jwks: JwksManager;
  cache: TokenCache;
  now?: () => number;
  /** §4.1 #2: never derived from the token. */
  algorithms?: readonly string[];
  /** Istio/Envoy parity: 60 s. */
  clockToleranceSeconds?: number;
  /** §4.1 #13: checked before any decoding. */
  maxTokenBytes?: number;
  /** Upper bound of a cache entry's life, below `exp`. */
  maxCacheMs?: number;
  observer?: CacheObserver;
}

export const DEFAULT_ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"] as const;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_KID_BYTES = 256;

/** Creates the verifier. */
export function createVerifier(options: VerifierOptions): TokenVerifier {
  const now = options.now ?? Date.now;
  const algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
  const tolerance = options.clockToleranceSeconds ?? 60;
  const maxBytes = options.maxTokenBytes ?? 8 * 1024;
  const maxCacheMs = options.maxCacheMs ?? 600_000;
  function lookup(token: string, authentications: readonly Authentication[]): Verified | undefined {
    if (token.length > maxBytes) return fail("token_too_large");
    const hit = options.cache.get(tokenHash(token), now());
    if (
      hit === undefined ||
      !authentications.some((a) => a.issuer === hit.issuer && a.jwksUri === hit.jwksUri)
    ) {
      return undefined;
    }
    options.observer?.jwtCache(true);
    return { ok: true, issuer: hit.issuer, payload: hit.payload, cached: true };
  }
  return {
    cached: lookup,
    async verify(token, authentications, deadline) {
      const known = lookup(token, authentications);
      if (known !== undefined) return known;
      const hash = tokenHash(token);
      options.observer?.jwtCache(false);
      // Only a token that verified once is in the cache; anything else is checked in full.
      if (!JWT_SHAPE.test(token)) return fail("malformed_token");
      let header;
      let unverified;
      try {
        header = decodeProtectedHeader(token);
        unverified = decodeJwt(token);
      } catch {
        return fail("malformed_token");
      }
      if (typeof header.alg !== "string" || !algorithms.includes(header.alg)) {
        return fail("algorithm_not_allowed");
      }
      const kid: unknown = header.kid;
      if (kid !== undefined && (typeof kid !== "string" || kid.length > MAX_KID_BYTES)) {
        return fail("invalid_key_id");
      }
      const authentication = authentications.find((a) => a.issuer === unverified.iss);
      if (authentication === undefined) return fail("issuer_not_configured");
      let jwksUri = authentication.jwksUri;
      if (jwksUri === undefined) {
        const found = await options.jwks.discover(authentication.issuer, deadline);
        if (!found.ok) {
          return fail(found.late ? "deadline_exceeded" : "jwks_unavailable", found.error);
        }
        jwksUri = found.jwksUri;
      }
      const keys = await options.jwks.keys(jwksUri, deadline);
      if (!keys.ok) return fail(keys.late ? "deadline_exceeded" : "jwks_unavailable", keys.error);
      let result = await verifyWith(token, keys.keys, authentication.issuer);
      if (!result.ok && (result.reason === "unknown_key")) {
        const fresh = await options.jwks.refreshForUnknownKid(
          jwksUri,
          kid,
          deadline,
        );
        if (fresh !== undefined) result = await verifyWith(token, fresh, authentication.issuer);
      }
      if (!result.ok) return result;
      const payload = result.payload;
      if (!claimTypesValid(payload)) return fail("invalid_claims");
      const exp = Number(payload.exp);
      options.cache.set(
        hash,
        { issuer: authentication.issuer, jwksUri: authentication.jwksUri, payload },
        Math.min((exp + tolerance) * 1000, now() + maxCacheMs),
      );
      return { ok: true, issuer: authentication.issuer, payload, cached: false };
    },
  };

  async function verifyWith(
    token: string,
    keys: KeySet,
    issuer: string,
  ): Promise<{ ok: true; payload: Record<string, unknown> } | { ok: false; reason: VerifyReason }> {
    try {
      const { payload } = await jwtVerify(token, keys.getKey, {
        issuer,
        algorithms,
        clockTolerance: tolerance,
        currentDate: new Date(now()),
        requiredClaims: ["exp"],
      });
      return { ok: true, payload: { ...payload } };
    } catch (error) {
      return { ok: false, reason: reasonOf(error) };
    }
  }
}

function fail(reason: VerifyReason, detail?: string): Verified {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}

/** jose's error codes, mapped once to our stable reasons. */
function reasonOf(error: unknown): VerifyReason {
  if (error instanceof errors.JWTExpired) return "token_expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === "nbf" && error.reason === "check_failed"
      ? "token_not_yet_valid"
      : "invalid_claims";
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "signature_invalid";
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm_not_allowed";
  if (error instanceof errors.JWKSNoMatchingKey) return "unknown_key";
  if (error instanceof errors.JWKSMultipleMatchingKeys) return "ambiguous_key";
  if (error instanceof errors.JOSENotSupported) return "unsupported_token";
  // JWSInvalid, JWTInvalid, and key import failures of a token that names an unusable key.
  return "malformed_token";
}
