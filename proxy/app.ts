/**
 * The ext_authz HTTP app. A check flows: `readCheckRequest` (raw request → canonical form, or
 * a 4xx) → `decide` on the current index snapshot under a deadline → metrics and the decision
 * log → `toResponse`. `createAuthzHandler` does not listen: `apigw authz` serves it and the tests
 * call the same function with a request and the peer.
 */
import type { Logger } from "../lib/log.ts";
import { problemResponse } from "../lib/problem.ts";
import { incomingParent, inSpan, type Span, tracingOn } from "../lib/tracing.ts";
import type { CanonicalOptions } from "../core/authz/canonical.ts";
import { deny } from "../core/authz/decision.ts";
import type { PolicyIndex } from "../core/authz/policy_index.ts";
import { readCheckRequest } from "./check_request.ts";
import type { TokenVerifier } from "./jwt/verifier.ts";
import type { DataPlane } from "./dataplane.ts";
import type { AuthzMetrics } from "./metrics.ts";
import type { AccessStrategyEngine, Outcome, PipelineOptions, RateLimitStep } from "./outcome.ts";
import { decide } from "./pipeline.ts";
import { problemBody, toResponse } from "./responses.ts";
import { outcomeAttributes } from "./trace_outcome.ts";
import type { DecisionObserver } from "./decisions.ts";

export interface AuthzOptions {
  pathPrefix: string;
  canonical: CanonicalOptions;
  pipeline: PipelineOptions;
  /** Adds `x-apigw-decision` to every answer. */
  debugHeader: boolean;
  /** Log allowed checks too (at debug); denies are always logged. */
  logAllowed: boolean;
  /** DP-AUTHZ-7: end-to-end budget of one decision, remote calls included. */
  deadlineMs: number;
  maxHeaderBytes: number;
}

/** Narrow dependencies of the app (STYLE §8). */
export interface AuthzDeps {
  /** The current index snapshot; each request reads one snapshot throughout. */
  rules: { current(): PolicyIndex };
  verifier: TokenVerifier;
  /** Decides APIRule v1beta1 rules; without it they answer 503. */
  accessStrategies?: AccessStrategyEngine;
  metrics: Pick<AuthzMetrics, "decision">;
  log: Logger;
  options: AuthzOptions;
  /** Global rate limits (RateLimit `spec.global`), when configured. */
  rateLimit?: RateLimitStep;
  /** Told of each decision (the dashboard's live stream), when set. */
  onDecision?: DecisionObserver;
}

/** The check handler over the shared data plane, as `apigw authz` serves it and tests call it. */
export function createAuthzHandler(
  plane: DataPlane,
  rules: AuthzDeps["rules"],
  options: AuthzOptions,
): CheckHandler {
  return createCheckHandler(authzDeps(plane, rules, options));
}

/** The deps of a check over the shared data plane: the HTTP and the gRPC check take the same. */
export function authzDeps(
  plane: DataPlane,
  rules: AuthzDeps["rules"],
  options: AuthzOptions,
): AuthzDeps {
  return {
    rules,
    verifier: plane.verifier,
    accessStrategies: plane.oathkeeper.engine,
    metrics: plane.metrics,
    log: plane.log,
    rateLimit: plane.limiting.step,
    options,
    ...(plane.onDecision !== undefined ? { onDecision: plane.onDecision } : {}),
  };
}

/** A `Deno.serve` handler answering checks (sync whenever the decision is). */
export type CheckHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

/**
 * The checks as a bare `Deno.serve` handler: routing through Hono costs a Context per check for
 * a single catch-all route (bench/README.md, authz profile). Every method and path reaches it.
 */
export function createCheckHandler(deps: AuthzDeps): CheckHandler {
  const check = authzCheck(deps);
  return (request, info) => {
    try {
      const answer = check(request, info);
      return answer instanceof Promise
        ? answer.catch((error) => internalError(deps, error, request.method))
        : answer;
    } catch (error) {
      return internalError(deps, error, request.method);
    }
  };
}

function internalError(deps: AuthzDeps, error: unknown, method: string): Response {
  deps.log.error("Failed to decide", { error, method });
  deps.metrics.decision("error", "internal_error", 0);
  return problemResponse(500);
}

/**
 * The check handler: one decision per request, logged and counted. It answers synchronously
 * whenever the pipeline does (cached tokens, no token needed), which spares Deno's server a
 * promise round trip per check; a decision that waits for JWKS returns a promise.
 */
function authzCheck(
  deps: AuthzDeps,
): (request: Request, info?: unknown) => Response | Promise<Response> {
  const { options, log, metrics } = deps;
  return function authzCheck(request, info) {
    if (!tracingOn()) return check(request, info, undefined);
    return inSpan(
      "apigw.authz.check",
      incomingParent(request.headers),
      (span) => check(request, info, span),
    );
  };

  function check(
    request: Request,
    info: unknown,
    span: Span | undefined,
  ): Response | Promise<Response> {
    const started = performance.now();
    const input = readCheckRequest(request, options);
    if (!input.ok) {
      const { status, reason, detail } = input.error;
      return respond({ decision: deny("normalize", status, reason, { detail }) });
    }
    const peer = peerOf(info);
    const outcome = decide(peer === undefined ? input.value : { ...input.value, peer }, {
      index: deps.rules.current(),
      verifier: deps.verifier,
      options: options.pipeline,
      ...(deps.rateLimit !== undefined ? { rateLimit: deps.rateLimit } : {}),
      ...(deps.accessStrategies !== undefined ? { accessStrategies: deps.accessStrategies } : {}),
    }, { at: started + options.deadlineMs });
    return outcome instanceof Promise ? outcome.then(respond) : respond(outcome);

    function respond(outcome: Outcome): Response {
      const seconds = (performance.now() - started) / 1000;
      const { decision } = outcome;
      metrics.decision(decision.allow ? "allow" : "deny", decision.reason, seconds);
      if (span !== undefined) {
        span.setAttributes(outcomeAttributes(outcome));
        span.setAttribute("http.response.status_code", decision.allow ? 200 : decision.status);
      }
      deps.onDecision?.({
        at: Date.now(),
        frontEnd: "authz",
        method: input.ok ? input.value.request.method : request.method,
        host: input.ok ? input.value.request.host : "",
        path: input.ok ? input.value.request.path : "",
        status: decision.allow ? 200 : decision.status,
        reason: decision.reason,
        rule: outcome.rule?.id,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        buckets: [],
      });
      if (!decision.allow || options.logAllowed) {
        const fields = {
          requestId: request.headers.get("x-request-id") ?? undefined,
          granted: decision.allow,
          reason: decision.reason,
          step: decision.step,
          status: decision.allow ? 200 : decision.status,
          rule: outcome.rule?.id,
          ...(outcome.session !== undefined ? { strategy: outcome.session.handler } : {}),
          method: input.ok ? input.value.request.method : request.method,
          host: input.ok ? input.value.request.host : undefined,
          path: input.ok ? input.value.request.path : undefined,
          ...(decision.allow ? {} : { detail: decision.detail ?? problemBody(decision).detail }),
          durationMs: Math.round(seconds * 1e6) / 1e3,
        };
        if (decision.allow) log.debug("Allowed request", fields);
        else log.info("Denied request", fields);
      }
      return toResponse(outcome, options);
    }
  }
}

/** The remote address `Deno.serve` hands the handler. */
function peerOf(env: unknown): string | undefined {
  if (typeof env !== "object" || env === null || !("remoteAddr" in env)) return undefined;
  const addr: unknown = env.remoteAddr;
  return typeof addr === "object" && addr !== null && "hostname" in addr &&
      typeof addr.hostname === "string"
    ? addr.hostname
    : undefined;
}
