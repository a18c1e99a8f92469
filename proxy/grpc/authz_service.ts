/**
 * Envoy's ext_authz over gRPC (`envoy.service.auth.v3.Authorization/Check`), a third front end
 * over the one data-plane core: `parseCheckRequest` (CheckRequest → the canonical request) →
 * `decide` on the current index snapshot under the deadline → metrics and the decision log →
 * `toCheckResponse`. Every decision is a `CheckResponse` (a deny fails closed with the status,
 * headers and problem body the HTTP check answers); an RPC error only for a malformed request
 * (INVALID_ARGUMENT) or overload (RESOURCE_EXHAUSTED), which Envoy's `failure_mode_allow`
 * governs. The reason goes into `dynamic_metadata`.
 */
import type { Decision } from "../../core/authz/decision.ts";
import { deny } from "../../core/authz/decision.ts";
import type { AuthzDeps } from "../app.ts";
import type { Outcome } from "../outcome.ts";
import { decide } from "../pipeline.ts";
import { DEBUG_HEADER, debugValue, problemBody } from "../responses.ts";
import { parseCheckRequest } from "./authz_request.ts";

export const AUTHZ_SERVICE = "envoy.service.auth.v3.Authorization";

/** gRPC status codes (google.rpc.Code) a CheckResponse or the call carries. */
const CODE = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** The call's context: its peer address and the client's remaining deadline (ms). */
export interface CallContext {
  peer: string | undefined;
  remainingMs: number;
}

/** A `CheckResponse` in proto-loader's shape, or an RPC error status. */
export type CheckAnswer =
  | { ok: true; response: Record<string, unknown> }
  | { ok: false; code: number; details: string };

export interface GrpcAuthzSettings {
  /** Decisions waiting on JWKS, introspection or Redis at once; more are overload. */
  maxInFlight: number;
}

/** Envoy's ext_authz filter sends a check per request, most decided without waiting. */
export const DEFAULT_MAX_IN_FLIGHT = 4096;

/** The Check handler over the data plane's deps (`createAuthzHandler`'s, same options). */
export function createGrpcCheck(
  deps: AuthzDeps,
  settings: GrpcAuthzSettings = { maxInFlight: DEFAULT_MAX_IN_FLIGHT },
): (request: unknown, call: CallContext) => CheckAnswer | Promise<CheckAnswer> {
  const { options, log, metrics } = deps;
  let inFlight = 0;
  return function check(request, call) {
    const started = performance.now();
    const parsed = parseCheckRequest(request, call.peer, options);
    if (!parsed.ok && "malformed" in parsed) {
      metrics.decision("error", "invalid_argument", 0);
      return { ok: false, code: CODE.INVALID_ARGUMENT, details: parsed.malformed };
    }
    if (!parsed.ok) {
      const { status, reason, detail } = parsed.rejection;
      return respond({ decision: deny("normalize", status, reason, { detail }) });
    }
    const budget = Math.min(options.deadlineMs, clientBudget(call.remainingMs));
    const outcome = decide(parsed.value, {
      index: deps.rules.current(),
      verifier: deps.verifier,
      options: options.pipeline,
      ...(deps.rateLimit !== undefined ? { rateLimit: deps.rateLimit } : {}),
      ...(deps.accessStrategies !== undefined ? { accessStrategies: deps.accessStrategies } : {}),
    }, { at: started + budget });
    if (!(outcome instanceof Promise)) return respond(outcome);
    // Overload: too many decisions wait already. The started wait goes on (JWKS fetches are
    // shared), but this call gets its RPC error now; decisions that need no wait still pass.
    if (inFlight >= settings.maxInFlight) {
      outcome.catch(() => {});
      metrics.decision("error", "overloaded", 0);
      return { ok: false, code: CODE.RESOURCE_EXHAUSTED, details: "too many checks in flight" };
    }
    inFlight++;
    return outcome.then(respond, (error: unknown) => {
      log.error("Failed to decide", { error, method: parsed.value.request.method });
      metrics.decision("error", "internal_error", 0);
      return { ok: false as const, code: CODE.INTERNAL, details: "internal error" };
    }).finally(() => inFlight--);

    function respond(outcome: Outcome): CheckAnswer {
      const seconds = (performance.now() - started) / 1000;
      const { decision } = outcome;
      metrics.decision(decision.allow ? "allow" : "deny", decision.reason, seconds);
      if (!decision.allow || options.logAllowed) {
        const request = parsed.ok ? parsed.value.request : undefined;
        const fields = {
          protocol: "grpc",
          requestId: parsed.ok ? parsed.requestId : undefined,
          granted: decision.allow,
          reason: decision.reason,
          step: decision.step,
          status: decision.allow ? 200 : decision.status,
          rule: outcome.rule?.id,
          method: request?.method ?? ("method" in parsed ? parsed.method : undefined),
          host: request?.host,
          path: request?.path,
          durationMs: Math.round(seconds * 1e6) / 1e3,
        };
        if (decision.allow) log.debug("Allowed request", fields);
        else log.info("Denied request", fields);
      }
      return { ok: true, response: toCheckResponse(outcome, options) };
    }
  };
}

/**
 * The part of the client's remaining time a decision may use: the minimum with apigw's own
 * deadline is the budget, and JWKS and introspection waits end at it. A fifth of the rest (20 to
 * 200 ms) is kept back so the deny reaches Envoy before Envoy's own timeout ends the call.
 */
export function clientBudget(remainingMs: number): number {
  if (remainingMs === Infinity) return Infinity;
  return Math.max(0, remainingMs - Math.min(200, Math.max(20, remainingMs / 5)));
}

/** The `CheckResponse` of an outcome (field names as in external_auth.proto). */
export function toCheckResponse(
  outcome: Outcome,
  options: { debugHeader: boolean },
): Record<string, unknown> {
  const { decision } = outcome;
  const debug: Record<string, string> = options.debugHeader
    ? { [DEBUG_HEADER]: debugValue(outcome) }
    : {};
  const metadata = { dynamic_metadata: metadataOf(outcome) };
  if (decision.allow) {
    return {
      status: { code: CODE.OK },
      ok_response: {
        headers: headerOptions(decision.upstreamHeaders),
        response_headers_to_add: headerOptions({ ...decision.responseHeaders, ...debug }),
      },
      ...metadata,
    };
  }
  const body = problemBody(decision);
  return {
    status: { code: grpcCodeOf(decision), message: decision.reason },
    denied_response: {
      status: { code: decision.status },
      headers: headerOptions({
        ...decision.responseHeaders,
        ...(decision.wwwAuthenticate !== undefined
          ? { "www-authenticate": decision.wwwAuthenticate }
          : {}),
        "content-type": "application/problem+json",
        "cache-control": "no-store",
        ...debug,
      }),
      body: JSON.stringify(body),
    },
    ...metadata,
  };
}

/** The table: 401 UNAUTHENTICATED, 403/404 PERMISSION_DENIED, 429, 503, 4xx input. */
export function grpcCodeOf(decision: Exclude<Decision, { allow: true }>): number {
  switch (decision.status) {
    case 401:
      return CODE.UNAUTHENTICATED;
    case 403:
    case 404:
      return CODE.PERMISSION_DENIED;
    case 429:
      return CODE.RESOURCE_EXHAUSTED;
    case 503:
      return CODE.UNAVAILABLE;
    case 500:
      return CODE.INTERNAL;
    default:
      return CODE.INVALID_ARGUMENT;
  }
}

/** Headers Envoy sets (overwriting what the request carries), in a stable order. */
function headerOptions(headers: Readonly<Record<string, string>> = {}): unknown[] {
  return Object.entries(headers).map(([key, value]) => ({
    header: { key, value },
    append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
  }));
}

/** `google.protobuf.Struct` of the decision: `decision`, `reason`, `step`, `status`, `rule`. */
function metadataOf(outcome: Outcome): Record<string, unknown> {
  const { decision } = outcome;
  const text = (key: string, value: string) => ({ key, value: { string_value: value } });
  // A map decoded from the descriptor set: its entries as `{ key, value }` messages.
  return {
    fields: [
      text("decision", decision.allow ? "allow" : "deny"),
      text("reason", decision.reason),
      text("step", decision.step),
      { key: "status", value: { number_value: decision.allow ? 200 : decision.status } },
      ...(outcome.rule !== undefined ? [text("rule", outcome.rule.id)] : []),
    ],
  };
}
