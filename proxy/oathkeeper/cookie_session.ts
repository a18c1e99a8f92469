/**
 * The `cookie_session` access strategy's remote check (Oathkeeper `cookie_session`): the request's
 * cookies (all, or only those named in `only`) and chosen headers go to `check_session_url`; a
 * 200 JSON answer names the subject (`subject_from`) and its extra claims (`extra_from`), any
 * other status means the session is not valid.
 */
import type { CookieSession } from "../../core/authz/oathkeeper/strategies.ts";
import type { HeaderReader } from "../../core/authz/token.ts";
import type { Deadline } from "../jwt/jwks.ts";
import { type CircuitBreaker, createBreaker } from "./breaker.ts";
import { callRemote } from "./_remote.ts";

export type SessionChecked =
  | { kind: "session"; subject: string; extra: Readonly<Record<string, unknown>> }
  | { kind: "invalid" }
  | { kind: "failed"; detail: string; late?: true }
  | { kind: "circuit_open" };

export interface SessionRequest {
  method: string;
  host: string;
  path: string;
  query: string;
  headers: HeaderReader;
  /** The cookies to forward, as a `Cookie` header value. */
  cookie: string;
}

export interface SessionChecker {
  check(
    strategy: CookieSession,
    request: SessionRequest,
    deadline?: Deadline,
  ): Promise<SessionChecked>;
}

/** Creates the checker; one breaker per session endpoint. */
export function createSessionChecker(
  options: { fetch?: typeof fetch; maxBytes?: number; breaker?: CircuitBreaker } = {},
): SessionChecker {
  const doFetch = options.fetch ?? fetch;
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const breaker = options.breaker ?? createBreaker();
  return {
    async check(strategy, request, deadline) {
      const url = new URL(strategy.checkSessionUrl);
      if (!strategy.preservePath) url.pathname = request.path;
      if (!strategy.preserveQuery) url.search = request.query === "" ? "" : `?${request.query}`;
      const headers = new Headers();
      for (const name of strategy.forwardHttpHeaders) {
        if (name.toLowerCase() === "cookie") continue;
        const value = request.headers.get(name);
        if (value !== null) headers.set(name, value);
      }
      // The cookies always go, whatever forward_http_headers says (as in Oathkeeper).
      headers.set("cookie", request.cookie);
      for (const [name, value] of Object.entries(strategy.additionalHeaders)) {
        headers.set(name, value);
      }
      if (strategy.preserveHost) headers.set("x-forwarded-host", request.host);
      headers.set("accept", "application/json");
      const key = url.origin + url.pathname;
      if (!breaker.allow(key)) return { kind: "circuit_open" };
      const answer = await callRemote(doFetch, url.href, {
        method: strategy.forceMethod ?? request.method,
        headers,
      }, {
        timeoutMs: strategy.timeoutMs,
        maxBytes,
        ...(deadline !== undefined ? { deadline } : {}),
      });
      if (!answer.ok) {
        if (answer.status !== undefined && answer.status < 500 && answer.status !== 429) {
          breaker.success(key);
          return { kind: "invalid" };
        }
        if (answer.late !== true) breaker.failure(key);
        return { kind: "failed", detail: answer.detail, ...(answer.late ? { late: true } : {}) };
      }
      breaker.success(key);
      const subject = jsonPath(answer.json, strategy.subjectFrom);
      const extra = jsonPath(answer.json, strategy.extraFrom);
      return {
        kind: "session",
        subject: typeof subject === "string"
          ? subject
          : subject === undefined
          ? ""
          : JSON.stringify(subject),
        extra: isRecord(extra) ? extra : {},
      };
    },
  };
}

/** A gjson-style dotted path (`identity.id`) into a JSON value. */
export function jsonPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (Array.isArray(current) && /^\d+$/.test(key)) current = current[Number(key)];
    else current = isRecord(current) ? current[key] : undefined;
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
