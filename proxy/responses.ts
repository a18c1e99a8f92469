/**
 * Decisions on the wire (dataplane.md §1.3, DP-AUTHZ-5, DP-JWT-2): exactly 200 with the
 * upstream headers to allow; a deny carries its status, an RFC 9457 problem body that names
 * the stable reason (never token contents), and the RFC 6750 challenge when there is one.
 */
import { type Decision, DENY_REASONS } from "../core/authz/decision.ts";
import type { Outcome } from "./pipeline.ts";

/** Opt-in header that says which rule and step decided (`--debug-header`). */
export const DEBUG_HEADER = "x-apigw-decision";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  413: "Content Too Large",
  414: "URI Too Long",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** The HTTP answer for an outcome. */
export function toResponse(outcome: Outcome, options: { debugHeader: boolean }): Response {
  const { decision } = outcome;
  if (decision.allow && !options.debugHeader && isEmpty(decision.upstreamHeaders)) {
    return new Response(null, { status: 200 });
  }
  const headers = new Headers();
  if (options.debugHeader) headers.set(DEBUG_HEADER, debugValue(outcome));
  if (decision.allow) {
    for (const [name, value] of Object.entries(decision.upstreamHeaders)) {
      headers.set(name, value);
    }
    return new Response(null, { status: 200, headers });
  }
  headers.set("content-type", "application/problem+json");
  headers.set("cache-control", "no-store");
  if (decision.wwwAuthenticate !== undefined) {
    headers.set("www-authenticate", decision.wwwAuthenticate);
  }
  return new Response(JSON.stringify(problemBody(decision)), {
    status: decision.status,
    headers,
  });
}

/** The RFC 9457 body of a deny. */
export function problemBody(decision: Exclude<Decision, { allow: true }>): Record<string, unknown> {
  return {
    type: "about:blank",
    title: TITLES[decision.status] ?? "Denied",
    status: decision.status,
    detail: DENY_REASONS[decision.reason],
    reason: decision.reason,
  };
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
