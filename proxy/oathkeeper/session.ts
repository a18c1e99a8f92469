/** The sessions v1beta1 access strategies authenticate (Oathkeeper's `AuthenticationSession`). */
import type { AllowReason } from "../../core/authz/decision.ts";

/** An authenticated subject (Oathkeeper's `AuthenticationSession`). */
export interface Session {
  handler: string;
  subject: string;
  extra: Readonly<Record<string, unknown>>;
  reason: AllowReason;
}

/** A session without claims. */
export function session(handler: string, subject: string, reason: AllowReason): Session {
  return { handler, subject, extra: {}, reason };
}

export function sessionOf(
  handler: string,
  claims: Readonly<Record<string, unknown>>,
  reason: AllowReason,
): Session {
  // Oathkeeper's jwt authenticator: the subject is `sub`, every claim is extra.
  return {
    handler,
    subject: typeof claims.sub === "string" ? claims.sub : "",
    extra: { ...claims },
    reason,
  };
}

/**
 * Oathkeeper's session of an introspected token: `sub` is the subject; the extra claims are
 * `ext` plus `username`, `client_id`, `scope` and (when present) `aud`.
 */
export function introspectionSession(result: Readonly<Record<string, unknown>>): Session {
  const ext = result.ext;
  const extra: Record<string, unknown> = typeof ext === "object" && ext !== null &&
      !Array.isArray(ext)
    ? { ...ext }
    : {};
  extra.username = result.username ?? "";
  extra.client_id = result.client_id ?? "";
  extra.scope = result.scope ?? "";
  if (result.aud !== undefined) {
    extra.aud = typeof result.aud === "string" ? [result.aud] : result.aud;
  }
  return {
    handler: "oauth2_introspection",
    subject: typeof result.sub === "string" ? result.sub : "",
    extra,
    reason: "token_active",
  };
}
