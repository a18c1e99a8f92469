/**
 * OAuth 2.0 token introspection (RFC 7662) for the `oauth2_introspection` access strategy,
 * done the way DP-INTROSPECT-1 asks: the caller authenticates (Basic, form post or a
 * client-credentials bearer token), the call is bounded (time, bytes, no redirects), a circuit
 * breaker guards each endpoint, and answers are cached by SHA-256 of the token.
 *
 * The cache holds what the endpoint said, never a decision: scopes, audience, issuer, `active`
 * and `exp` are checked against each rule on every request (checks.ts), so a token cached for a
 * rule needing `read` grants nothing to a rule needing `write` (GHSA-qvp4-rpmr-xwrr). An entry
 * lives at most the rule's `cache.ttl` and never past the token's `exp`; `active: false` is
 * cached briefly (`cache.negative_ttl`).
 */
import { inSpan, SpanKind, tracingOn } from "../../lib/tracing.ts";
import type { Introspection } from "../../core/authz/oathkeeper/strategies.ts";
import type { Deadline } from "../jwt/jwks.ts";
import { tokenHash } from "../jwt/token_cache.ts";
import { type CircuitBreaker, createBreaker } from "./breaker.ts";
import { callRemote } from "./_remote.ts";
import { createClientCredentials } from "./client_credentials.ts";

export type Introspected =
  | { kind: "result"; result: Readonly<Record<string, unknown>>; cached: boolean }
  | { kind: "rate_limited"; retryAfter?: string }
  | { kind: "failed"; detail: string; late?: true }
  | { kind: "circuit_open" };

export interface IntrospectionObserver {
  introspection(result: "hit" | "miss" | "error" | "circuit_open"): void;
}

export interface IntrospectorOptions {
  fetch?: typeof fetch;
  now?: () => number;
  /** Entries over all endpoints; the oldest goes first. */
  maxEntries?: number;
  /** DP-INTROSPECT-1: 256 KiB. */
  maxBytes?: number;
  breaker?: CircuitBreaker;
  observer?: IntrospectionObserver;
}

export interface Introspector {
  /** The cached answer for `token` at the strategy's endpoint, within the strategy's TTL. */
  cached(token: string, strategy: Introspection): Introspected | undefined;
  /** Asks the endpoint (once for concurrent callers of the same token). */
  introspect(
    token: string,
    strategy: Introspection,
    context: { host: string; deadline?: Deadline },
  ): Promise<Introspected>;
  readonly size: number;
}

interface Entry {
  result: Readonly<Record<string, unknown>>;
  storedAt: number;
  /** `exp` (active) or the negative TTL (inactive): the hard end, whatever a rule's TTL says. */
  expiresAt: number;
}

/** Creates the introspector. */
export function createIntrospector(options: IntrospectorOptions = {}): Introspector {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const breaker = options.breaker ?? createBreaker({ now });
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Introspected>>();
  const credentials = createClientCredentials({ fetch: doFetch, now, maxBytes });

  function lookup(key: string, strategy: Introspection): Entry | undefined {
    if (!strategy.cache.enabled) return undefined;
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    const at = now();
    if (at >= entry.expiresAt) {
      entries.delete(key);
      return undefined;
    }
    const ttl = entry.result.active === true ? strategy.cache.ttlMs : strategy.cache.negativeTtlMs;
    return at < entry.storedAt + ttl ? entry : undefined;
  }

  function store(key: string, strategy: Introspection, result: Readonly<Record<string, unknown>>) {
    if (!strategy.cache.enabled || maxEntries <= 0) return;
    const at = now();
    const expiresAt = result.active === true
      ? Math.min(
        at + strategy.cache.ttlMs,
        typeof result.exp === "number" ? result.exp * 1000 : Infinity,
      )
      : at + strategy.cache.negativeTtlMs;
    if (expiresAt <= at) return;
    entries.delete(key);
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
    entries.set(key, { result, storedAt: at, expiresAt });
  }

  async function ask(
    token: string,
    strategy: Introspection,
    context: { host: string; deadline?: Deadline },
  ): Promise<Introspected> {
    const body = new URLSearchParams({ token, token_type_hint: "access_token" });
    // With scope_strategy none the endpoint judges the scopes (Oathkeeper's behaviour); the
    // answer is then specific to this scope set, and so is the cache key.
    if (strategy.scopeStrategy === "none" && strategy.requiredScope.length > 0) {
      body.set("scope", strategy.requiredScope.join(" "));
    }
    const headers = new Headers(strategy.headers);
    headers.set("content-type", "application/x-www-form-urlencoded");
    headers.set("accept", "application/json");
    if (strategy.preserveHost) headers.set("x-forwarded-host", context.host);
    const auth = strategy.clientAuth;
    if (auth.kind === "client_secret_basic") {
      // RFC 6749 §2.3.1: id and secret are form-encoded before Base64.
      const pair = `${formEncode(auth.clientId)}:${formEncode(auth.clientSecret)}`;
      headers.set("authorization", `Basic ${btoa(pair)}`);
    } else if (auth.kind === "client_secret_post") {
      body.set("client_id", auth.clientId);
      body.set("client_secret", auth.clientSecret);
    } else if (auth.kind === "client_credentials") {
      const bearer = await credentials.token(auth, {
        timeoutMs: strategy.timeoutMs,
        ...(context.deadline !== undefined ? { deadline: context.deadline } : {}),
      });
      if (!bearer.ok) return { kind: "failed", detail: `token endpoint: ${bearer.detail}` };
      headers.set("authorization", `Bearer ${bearer.token}`);
    }
    const call = () =>
      callRemote(doFetch, strategy.url, {
        method: "POST",
        headers,
        body,
      }, {
        timeoutMs: strategy.timeoutMs,
        maxBytes,
        ...(context.deadline !== undefined ? { deadline: context.deadline } : {}),
      });
    const answer = await (tracingOn()
      ? inSpan("apigw.introspection", {
        kind: SpanKind.CLIENT,
        attributes: { "url.full": strategy.url },
      }, async (span) => {
        const answer = await call();
        span?.setAttribute(
          "apigw.introspection.outcome",
          answer.ok ? "answered" : answer.status !== undefined ? `${answer.status}` : "failed",
        );
        return answer;
      })
      : call());
    if (!answer.ok) {
      if (answer.status === 429) {
        const retryAfter = answer.headers?.get("retry-after") ?? undefined;
        return { kind: "rate_limited", ...(retryAfter !== undefined ? { retryAfter } : {}) };
      }
      return { kind: "failed", detail: answer.detail, ...(answer.late ? { late: true } : {}) };
    }
    const result = parseAnswer(answer.json);
    return typeof result === "string"
      ? { kind: "failed", detail: result }
      : { kind: "result", result, cached: false };
  }

  return {
    cached(token, strategy) {
      const entry = lookup(cacheKey(token, strategy), strategy);
      if (entry === undefined) return undefined;
      options.observer?.introspection("hit");
      return { kind: "result", result: entry.result, cached: true };
    },
    introspect(token, strategy, context) {
      const key = cacheKey(token, strategy);
      const entry = lookup(key, strategy);
      if (entry !== undefined) {
        options.observer?.introspection("hit");
        return Promise.resolve({ kind: "result", result: entry.result, cached: true });
      }
      const running = inflight.get(key);
      if (running !== undefined) return running;
      if (!breaker.allow(strategy.url)) {
        options.observer?.introspection("circuit_open");
        return Promise.resolve({ kind: "circuit_open" });
      }
      options.observer?.introspection("miss");
      const call = ask(token, strategy, context).then((answer) => {
        if (answer.kind === "result") {
          breaker.success(strategy.url);
          store(key, strategy, answer.result);
        } else if (answer.kind === "failed" && answer.late !== true) {
          breaker.failure(strategy.url);
          options.observer?.introspection("error");
        } else if (answer.kind === "failed") {
          // Our deadline, not the endpoint's fault: let the trial slot go without judging.
          breaker.success(strategy.url);
        }
        return answer;
      }).finally(() => inflight.delete(key));
      inflight.set(key, call);
      return call;
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * The cache key: the token's hash and everything that shapes the endpoint's answer (endpoint,
 * calling client, and the scopes it is asked to judge). Rule requirements are not in it: they
 * are checked on every hit.
 */
export function cacheKey(token: string, strategy: Introspection): string {
  const auth = strategy.clientAuth;
  const client = auth.kind === "none" ? "" : auth.clientId;
  const judged = strategy.scopeStrategy === "none" ? strategy.requiredScope.join(" ") : "";
  return `${tokenHash(token)}\n${strategy.url}\n${client}\n${judged}`;
}

/** RFC 7662 §2.2: an object with a boolean `active`; known claims must have their types. */
function parseAnswer(json: unknown): Readonly<Record<string, unknown>> | string {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return "answer is not a JSON object";
  }
  const result: Record<string, unknown> = { ...json };
  if (typeof result.active !== "boolean") return 'answer has no boolean "active"';
  for (const name of ["exp", "iat", "nbf"]) {
    if (result[name] !== undefined && typeof result[name] !== "number") {
      return `answer has a non-numeric "${name}"`;
    }
  }
  for (const name of ["scope", "iss", "sub", "client_id", "username", "token_use"]) {
    if (result[name] !== undefined && typeof result[name] !== "string") {
      return `answer has a non-string "${name}"`;
    }
  }
  const aud = result.aud;
  if (
    aud !== undefined && typeof aud !== "string" &&
    !(Array.isArray(aud) && aud.every((a) => typeof a === "string"))
  ) {
    return 'answer has a malformed "aud"';
  }
  return result;
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+");
}
