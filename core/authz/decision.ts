/**
 * Decisions as values: every step of the ext_authz pipeline returns an allow or a deny with a
 * stable reason (STYLE §7: dashboards key on the reason), the step that decided, and for a deny
 * the HTTP status and `WWW-Authenticate` value the client gets (docs/spec/dataplane.md §3.7, DP-JWT-2).
 */

/** The pipeline steps, in order. */
export type Step =
  | "normalize"
  | "match"
  | "authenticate"
  | "authorize"
  | "headers"
  | "deadline"
  | "ratelimit";

/** Stable deny reasons. Adding one is fine; renaming one breaks dashboards. */
export const DENY_REASONS = {
  // normalize: the check request itself is unusable (400/413/414/431).
  invalid_method: "Method is not an upper-case token",
  invalid_path: "Path cannot be canonicalised",
  escaped_slash: "Path has %2F or %5C",
  path_too_long: "Path is too long",
  query_too_long: "Query is too long",
  missing_host: "Host is missing",
  invalid_host: "Host is invalid",
  host_mismatch: "Absolute-form target names another host than Host",
  path_outside_prefix: "Path is not under the configured prefix",
  body_not_expected: "Check request carries a body",
  header_too_large: "A header exceeds the size cap",
  // match
  no_rule_matched: "No rule matches host, method and path",
  // authenticate
  missing_token: "No token where the rule requires one",
  ambiguous_token: "More than one token in the request",
  malformed_token: "Token is not a well-formed JWT",
  token_too_large: "Token exceeds the size cap",
  algorithm_not_allowed: "Token algorithm is not allowed",
  invalid_key_id: "Token key id is invalid",
  issuer_not_configured: "Token issuer is not configured for the rule",
  unknown_key: "No key in the issuer's JWKS matches the token",
  ambiguous_key: "Several keys in the issuer's JWKS match the token",
  signature_invalid: "Token signature is invalid",
  token_expired: "Token is expired",
  token_not_yet_valid: "Token is not yet valid",
  invalid_claims: "Token claims are malformed",
  unsupported_token: "Token uses an unsupported JOSE feature",
  jwks_unavailable: "The issuer's keys cannot be fetched",
  ext_auth_not_served: "The rule's extAuth authorizers do not name this service",
  // authenticate: APIRule v1beta1 access strategies (Oathkeeper handlers)
  no_strategy_responsible: "No access strategy of the rule is responsible for the request",
  unauthorized_strategy: "The rule's unauthorized access strategy rejects every request",
  token_inactive: "The introspection endpoint says the token is not active",
  token_not_access_token: "The introspected token is not an access token",
  issuer_not_trusted: "Token issuer is not one of the rule's trusted issuers",
  introspection_failed: "The introspection endpoint gave no usable answer",
  introspection_rate_limited: "The introspection endpoint is rate limiting",
  circuit_open: "A remote endpoint failed repeatedly and is not asked for a while",
  session_invalid: "The session endpoint does not accept the request's cookies",
  session_check_failed: "The session endpoint gave no usable answer",
  access_strategies_not_served: "This service runs no engine for v1beta1 access strategies",
  // headers
  mutator_failed: "A mutator could not produce a valid upstream header",
  // authorize
  insufficient_scope: "Token lacks a required scope",
  audience_not_allowed: "Token lacks a required audience",
  // deadline
  deadline_exceeded: "The decision did not finish within its deadline",
  // ratelimit (RateLimit spec.global)
  rate_limited: "The caller has no tokens left in a global rate limit bucket",
  rate_limit_unavailable: "The rate limit store cannot answer and the bucket fails closed",
} as const;

export type DenyReason = keyof typeof DENY_REASONS;

export const ALLOW_REASONS = {
  no_auth: "Rule has noAuth",
  jwt_valid: "Token is valid for the rule",
  ext_auth_allowed: "extAuth rule served here; restrictions met",
  rate_limit_only: "No rule matches; the workload's global rate limit allows the request",
  allow_strategy: "Rule has the allow or no_auth access strategy",
  noop_strategy: "Rule has the noop access strategy",
  anonymous_strategy: "No Authorization header: the anonymous access strategy applies",
  token_active: "The introspected token is active and meets the rule",
  session_valid: "The session endpoint accepts the request's cookies",
  open_on_error: "The rule fails open while its remote endpoint is unavailable",
} as const;

export type AllowReason = keyof typeof ALLOW_REASONS;

/** A normalize-step refusal: the check request is not a request we can judge. */
export interface Rejection {
  status: 400 | 413 | 414 | 431;
  reason: Extract<
    DenyReason,
    | "invalid_method"
    | "invalid_path"
    | "escaped_slash"
    | "path_too_long"
    | "query_too_long"
    | "missing_host"
    | "invalid_host"
    | "host_mismatch"
    | "path_outside_prefix"
    | "body_not_expected"
    | "header_too_large"
  >;
  detail: string;
}

export type DenyStatus = 400 | 401 | 403 | 404 | 413 | 414 | 429 | 431 | 500 | 503;

export interface Allow {
  allow: true;
  step: Step;
  reason: AllowReason;
  /** Headers Envoy sets on the upstream request (listed in `headersToUpstreamOnAllow`). */
  upstreamHeaders: Readonly<Record<string, string>>;
  /** Headers for the client's response (listed in `headersToDownstreamOnAllow`). */
  responseHeaders?: Readonly<Record<string, string>>;
}

export interface Deny {
  allow: false;
  step: Step;
  status: DenyStatus;
  reason: DenyReason;
  /** A short text for the problem body; never token contents. */
  detail?: string;
  /** RFC 6750 challenge for 401/403 of bearer rules. */
  wwwAuthenticate?: string;
  /** Further headers for the client (`Retry-After` and the RateLimit fields of a 429). */
  responseHeaders?: Readonly<Record<string, string>>;
}

export type Decision = Allow | Deny;

/** A deny of `step` for `reason`. */
export function deny(
  step: Step,
  status: DenyStatus,
  reason: DenyReason,
  extra: {
    detail?: string;
    wwwAuthenticate?: string;
    responseHeaders?: Readonly<Record<string, string>>;
  } = {},
): Deny {
  return { allow: false, step, status, reason, ...extra };
}

/** An allow of `step` for `reason`. */
export function allow(
  step: Step,
  reason: AllowReason,
  upstreamHeaders: Readonly<Record<string, string>> = {},
): Allow {
  return { allow: true, step, reason, upstreamHeaders };
}

/**
 * The RFC 6750 §3 challenge: `Bearer realm="…"`, plus `error` (and `scope`) when known.
 * Values are quoted-strings; `"` and `\` are escaped.
 */
export function bearerChallenge(
  realm: string,
  error?: "invalid_token" | "insufficient_scope",
  scope?: readonly string[],
): string {
  const parts = [`Bearer realm=${quote(realm)}`];
  if (error !== undefined) parts.push(`error=${quote(error)}`);
  if (scope !== undefined && scope.length > 0) parts.push(`scope=${quote(scope.join(" "))}`);
  return parts.join(", ");
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}
