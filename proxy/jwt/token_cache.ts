/**
 * The verified-token cache (docs/spec/dataplane.md §9 item 4, §8 #31): SHA-256 of the token → the claims
 * of a successful verification and the issuer configuration (issuer + JWKS URI) that verified
 * it. Entries end at `exp` plus the leeway, or sooner; the size is bounded (oldest out first).
 * It caches verification only: scope and audience checks run on every request.
 */
import { createHash } from "node:crypto";

export interface VerifiedToken {
  issuer: string;
  /** Absent when the issuer's keys were found by discovery. */
  jwksUri: string | undefined;
  payload: Readonly<Record<string, unknown>>;
}

export interface TokenCache {
  get(hash: string, now: number): VerifiedToken | undefined;
  set(hash: string, value: VerifiedToken, expiresAt: number): void;
  readonly size: number;
}

/** Hex SHA-256 of a token: the only form in which tokens are kept or logged. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A bounded cache; `maxEntries` 0 disables it. */
export function createTokenCache(maxEntries = 10_000): TokenCache {
  const entries = new Map<string, { value: VerifiedToken; expiresAt: number }>();
  return {
    get(hash, now) {
      const entry = entries.get(hash);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= now) {
        entries.delete(hash);
        return undefined;
      }
      return entry.value;
    },
    set(hash, value, expiresAt) {
      if (maxEntries <= 0) return;
      entries.delete(hash);
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(hash, { value, expiresAt });
    },
    get size() {
      return entries.size;
    },
  };
}
