/**
 * Decisions on the wire (docs/spec/dataplane.md §1.3, DP-AUTHZ-5, DP-JWT-2): exactly 200 with the
 * upstream headers to allow; a deny carries its status, an RFC 9457 problem body that names
 * the stable reason (never token contents), and the RFC 6750 challenge when there is one.
 */
import { type Decision, DENY_REASONS } from "../core/authz/decision.ts";
import { problemDetails, type ProblemFields, problemResponse } from "../lib/problem.ts";
import type { Outcome } from "./outcome.ts";

/** Opt-in header that says which rule and step decided (`--debug-header`). */
export const DEBUG_HEADER = "x-apigw-decision";

/** The HTTP answer for an outcome. */
export function toResponse(outcome: Outcome, options: { debugHeader: boolean }): Response {
  const { decision } = outcome;
  if (
    decision.allow && !options.debugHeader && isEmpty(decision.upstreamHeaders) &&
    decision.responseHeaders === undefined
  ) {
    return new Response(null, { status: 200 });
  }
  const headers = new Headers(decision.responseHeaders);
  if (options.debugHeader) headers.set(DEBUG_HEADER, debugValue(outcome));
  if (decision.allow) {
    for (const [name, value] of Object.entries(decision.upstreamHeaders)) {
      headers.set(name, value);
    }
    return new Response(null, { status: 200, headers });
  }
  if (decision.wwwAuthenticate !== undefined) {
    headers.set("www-authenticate", decision.wwwAuthenticate);
  }
  return problemResponse(decision.status, problemFields(decision), headers);
}

/** The RFC 9457 body of a deny. */
export function problemBody(decision: Exclude<Decision, { allow: true }>): Record<string, unknown> {
  return problemDetails(decision.status, problemFields(decision));
}

function problemFields(decision: Exclude<Decision, { allow: true }>): ProblemFields {
  if (decision.reason === "rate_limited") {
    // draft-ietf-httpapi-ratelimit-headers-11 §6: the quota-exceeded problem type.
    return {
      type: "https://iana.org/assignments/http-problem-types#quota-exceeded",
      detail: DENY_REASONS.rate_limited,
      reason: decision.reason,
      "violated-policies": decision.detail === undefined ? [] : [decision.detail],
    };
  }
  return { detail: DENY_REASONS[decision.reason], reason: decision.reason };
}

/** `deny; step=authenticate; reason=token_expired; rule=ns/name#0`. */
export function debugValue(outcome: Outcome): string {
  const { decision, rule } = outcome;
  return [
    decision.allow ? "allow" : "deny",
    `step=${decision.step}`,
    `reason=${decision.reason}`,
    ...(rule !== undefined ? [`rule=${rule.id}`] : []),
  ].join("; ");
}

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}
