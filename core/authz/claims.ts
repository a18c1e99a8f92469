/**
 * Claim checks after signature verification: claim types (§4.1 #12, §8 #8–9) and the Kyma
 * `authorizations` semantics (§3.6). They run on every request, cache hit or not (§8 #31).
 */
import type { Authorization } from "./rule.ts";

export type ClaimsCheck =
  | { ok: true }
  | { ok: false; reason: "insufficient_scope" | "audience_not_allowed"; scopes: readonly string[] };

const STRING_CLAIMS = ["iss", "sub", "jti", "azp"];
const TIME_CLAIMS = ["exp", "nbf", "iat"];
const SCOPE_CLAIMS = ["scp", "scope", "scopes"] as const;

/**
 * Tells whether the payload's registered and scope claims have the types Envoy's
 * jwt_verify_lib accepts: strings, non-negative integer dates, `aud` and scopes as a string or
 * a list of strings. A wrong type is a malformed token, not a failed match.
 */
export function claimTypesValid(payload: Readonly<Record<string, unknown>>): boolean {
  for (const name of STRING_CLAIMS) {
    if (payload[name] !== undefined && typeof payload[name] !== "string") return false;
  }
  for (const name of TIME_CLAIMS) {
    const value = payload[name];
    if (value !== undefined && !(Number.isSafeInteger(value) && Number(value) >= 0)) return false;
  }
  for (const name of ["aud", ...SCOPE_CLAIMS]) {
    const value = payload[name];
    if (value === undefined || typeof value === "string") continue;
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) return false;
  }
  return true;
}

/**
 * Whether the verified `payload` meets one of `authorizations` (they are alternatives; none
 * means any valid token). One authorization needs every `requiredScopes` entry in the same one
 * of `scp`, `scope`, `scopes`, and every listed audience in `aud`.
 *
 * As Istio does, only `scope` holding a string is split on spaces; `scp: "a b"` is one value.
 */
export function checkAuthorizations(
  payload: Readonly<Record<string, unknown>>,
  authorizations: readonly Authorization[],
): ClaimsCheck {
  if (authorizations.length === 0) return { ok: true };
  let first: ClaimsCheck | undefined;
  for (const authorization of authorizations) {
    const result = checkOne(payload, authorization);
    if (result.ok) return result;
    first ??= result;
  }
  return first!;
}

function checkOne(payload: Readonly<Record<string, unknown>>, a: Authorization): ClaimsCheck {
  const audiences = listOf(payload.aud, false);
  if (!a.audiences.every((aud) => audiences.includes(aud))) {
    return { ok: false, reason: "audience_not_allowed", scopes: a.requiredScopes };
  }
  if (a.requiredScopes.length === 0) return { ok: true };
  const satisfied = SCOPE_CLAIMS.some((claim) => {
    const granted = listOf(payload[claim], claim === "scope");
    return a.requiredScopes.every((scope) => granted.includes(scope));
  });
  return satisfied
    ? { ok: true }
    : { ok: false, reason: "insufficient_scope", scopes: a.requiredScopes };
}

function listOf(value: unknown, split: boolean): readonly string[] {
  if (typeof value === "string") return split ? value.split(" ").filter(Boolean) : [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
