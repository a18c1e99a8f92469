/**
 * The embedded gateway's request handler. A request flows: `readRequest` (canonical form, size
 * caps) → the policy index of the current config snapshot (the rule the rendered VirtualService
 * routes to, matched once) → local rate limits (Envoy runs them first) → CORS preflight →
 * `decideRule()` on the matched rule (authenticate, authorize, upstream headers) → forward to the
 * route's upstream with its timeout, streaming both bodies → response headers, access log,
 * metrics. Each request reads one snapshot throughout, so a reload never changes a request half
 * way.
 */
import type { Logger } from "../../lib/log.ts";
import { problemResponse } from "../../lib/problem.ts";
import type { CanonicalOptions } from "../../core/authz/canonical.ts";
import type { PipelineOptions, RateLimitStep } from "../outcome.ts";
import { decideRule } from "../pipeline.ts";
import type { TokenVerifier } from "../jwt/verifier.ts";
import type { AccessStrategyEngine } from "../outcome.ts";
import { DEBUG_HEADER, debugValue, toResponse } from "../responses.ts";
import { localLimitHeaders, type LocalVerdict, refusal, takeLocal } from "../ratelimit/local.ts";
import type { MemoryBucketStore } from "../ratelimit/store.ts";
import { deny } from "../../core/authz/decision.ts";
import type { GatewayConfig, Route } from "./config.ts";
import { corsResponseHeaders, isPreflight, preflightResponse } from "./cors.ts";
import type { Peer } from "./forward.ts";
import { createForward } from "./upstream_call.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { readRequest, type RequestLimits } from "./request.ts";
import type { Http1Client } from "./http1_client.ts";
import { outcomeAttributes } from "../trace_outcome.ts";
import { annotateActive, incomingParent, inSpan, tracingOn } from "../../lib/tracing.ts";
import { bucketLevels, type DecisionObserver } from "../decisions.ts";

export interface GatewayOptions {
  canonical: CanonicalOptions;
  pipeline: PipelineOptions;
  limits: RequestLimits;
  /** Adds `x-apigw-decision` to denies, and to allowed answers (set on the upstream's response). */
  debugHeader: boolean;
  /** One JSON line per request. */
  accessLog: boolean;
  /** Budget of the authentication step (JWKS fetches included). */
  deadlineMs: number;
}

export interface GatewayDeps {
  config: { current(): GatewayConfig };
  verifier: TokenVerifier;
  /** Decides rules authored as APIRule v1beta1 (their access strategies and mutators). */
  accessStrategies?: AccessStrategyEngine;
  /**
   * RateLimit `spec.global` (proxy/ratelimit), over the limits of `config.current().globalLimits`:
   * the check's `peer` is the matched rule's id, and `x-forwarded-for` ends with the client's
   * socket address, as Envoy at the edge appends it.
   */
  globalLimiter?: RateLimitStep;
  /** The local buckets' store: in process memory, as Envoy's are per proxy. */
  buckets: MemoryBucketStore;
  metrics: GatewayMetrics;
  log: Logger;
  /** Transport of https upstreams; an `HttpClient` with extra CA certificates when configured. */
  fetch: typeof fetch;
  /** Transport of plain-HTTP upstreams; `fetch` when absent. */
  http1?: Http1Client;
  options: GatewayOptions;
  /** Told of each request's outcome (the dashboard's live stream), when set. */
  onDecision?: DecisionObserver;
}

type Handler = (request: Request, info: Deno.ServeHandlerInfo) => Promise<Response>;

/** Builds the handler `Deno.serve` calls; `scheme` is the listener's. */
export function createGateway(deps: GatewayDeps, scheme: "http" | "https"): Handler {
  const { options, log, metrics, onDecision } = deps;
  const forward = createForward({
    log,
    fetch: deps.fetch,
    ...(deps.http1 !== undefined ? { http1: deps.http1 } : {}),
    maxBodyBytes: options.limits.maxBodyBytes,
  });
  return function gateway(request, info) {
    if (!tracingOn()) return serve(request, info);
    return inSpan(
      "apigw.gateway.request",
      incomingParent(request.headers, { b3: false }),
      (span) =>
        span === undefined ? serve(request, info) : serve(request, info).then((response) => {
          span.setAttribute("http.response.status_code", response.status);
          return response;
        }),
    );
  };

  async function serve(request: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
    const started = performance.now();
    const requestId = crypto.randomUUID();
    const config = deps.config.current();
    let route: Route | undefined;
    let reason = "forwarded";
    let response: Response;
    /** Whether the span got the decision's attributes (a request denied earlier has none). */
    let decided = false;
    let verdicts: LocalVerdict[] = [];
    const read = readRequest(request, options);
    if (!read.ok) {
      reason = read.error.reason;
      response = problem(read.error.status, read.error.reason, read.error.detail);
    } else {
      const { request: canonical, authority } = read.value;
      const rule = config.index.match(canonical);
      route = rule === undefined ? undefined : config.routes.get(rule.id);
      if (route === undefined) {
        reason = "no_rule_matched";
        response = problem(404, reason, "No rule matches host, method and path");
      } else {
        const peer: Peer = { address: addressOf(info), scheme, authority };
        const target = canonical.path + (canonical.query === "" ? "" : `?${canonical.query}`);
        verdicts = route.limits.length === 0 ? [] : takeLocal(deps.buckets, route.limits, {
          method: canonical.method,
          scheme,
          host: canonical.host,
          // The canonical path without the query: a query never moves a request out of its
          // bucket (docs/upstream-differences.md, RateLimit).
          path: canonical.path,
          headers: request.headers,
          peer: peer.address,
        });
        const refused = refusal(verdicts);
        const origin = request.headers.get("origin");
        const corsOrigin = origin !== null && route.cors?.allowsOrigin(origin) ? origin : undefined;
        if (refused !== undefined) {
          reason = "rate_limited";
          response = toResponse({
            decision: deny("ratelimit", 429, "rate_limited", { detail: refused.bucket.policy }),
            rule: route.rule,
          }, options);
        } else if (
          corsOrigin !== undefined && route.cors !== undefined &&
          isPreflight(canonical.method, request.headers)
        ) {
          reason = "cors_preflight";
          response = preflightResponse(route.cors, corsOrigin);
          if (options.debugHeader) {
            response.headers.set(
              DEBUG_HEADER,
              `allow; step=cors; reason=${reason}; rule=${route.rule.id}`,
            );
          }
        } else {
          // Only routes whose workload has global limits pay for the limiter's view.
          const limiter = config.globalLimits.byAddress.has(route.rule.id)
            ? deps.globalLimiter
            : undefined;
          const outcome = await decideRule(
            route.rule,
            {
              request: canonical,
              headers: limiter === undefined
                ? request.headers
                : withClientAddress(request.headers, peer.address),
              peer: route.rule.id,
            },
            {
              verifier: deps.verifier,
              options: options.pipeline,
              ...(deps.accessStrategies !== undefined
                ? { accessStrategies: deps.accessStrategies }
                : {}),
              ...(limiter !== undefined ? { rateLimit: limiter } : {}),
            },
            { at: started + options.deadlineMs },
          );
          if (tracingOn()) {
            decided = true;
            annotateActive(outcomeAttributes(outcome));
          }
          if (!outcome.decision.allow) {
            reason = outcome.decision.reason;
            response = toResponse(outcome, options);
          } else {
            const forwarded = await forward(request, route, {
              target,
              peer,
              requestId,
              decided: outcome.decision.upstreamHeaders,
            });
            reason = forwarded.reason;
            response = forwarded.response;
            for (const [name, value] of Object.entries(outcome.decision.responseHeaders ?? {})) {
              response.headers.set(name, value);
            }
            // The allow reason (no_auth, jwt_valid, …) is otherwise only in the decision.
            if (options.debugHeader) response.headers.set(DEBUG_HEADER, debugValue(outcome));
          }
        }
        if (corsOrigin !== undefined && route.cors !== undefined && reason !== "cors_preflight") {
          corsResponseHeaders(route.cors, corsOrigin, response.headers);
        }
        if (verdicts.length > 0) localLimitHeaders(verdicts, response.headers);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    metrics.request(route?.rule.id ?? "", response.status, seconds);
    if (tracingOn()) {
      annotateActive({
        "apigw.response_reason": reason,
        ...(decided ? {} : {
          "apigw.decision": response.status < 400 ? "allow" : "deny",
          "apigw.reason": reason,
        }),
        ...(!decided && route !== undefined ? { "apigw.rule": route.rule.id } : {}),
      });
    }
    if (!options.accessLog && onDecision === undefined) return response;
    const served = {
      rule: route?.rule.id,
      method: request.method,
      host: read.ok ? read.value.request.host : "",
      path: read.ok ? read.value.request.path : "",
      status: response.status,
      reason,
      durationMs: Math.round(seconds * 1e6) / 1e3,
    };
    if (options.accessLog) {
      log.info("Served request", {
        requestId,
        ...served,
        upstream: route?.upstream.service,
        peer: addressOf(info),
      });
    }
    onDecision?.({ at: Date.now(), frontEnd: "serve", ...served, buckets: bucketLevels(verdicts) });
    return response;
  }
}

/** An RFC 9457 problem answer with a stable reason. */
export function problem(status: number, reason: string, detail: string): Response {
  return problemResponse(status, { detail, reason });
}

function addressOf(info: Deno.ServeHandlerInfo): string {
  const addr = info.remoteAddr;
  return "hostname" in addr ? addr.hostname : "unix";
}

/** The request's headers as the limiter reads them: `x-forwarded-for` with the peer appended. */
function withClientAddress(
  headers: Headers,
  address: string,
): { get(name: string): string | null } {
  return {
    get(name) {
      if (name.toLowerCase() !== "x-forwarded-for") return headers.get(name);
      const sent = headers.get(name);
      return sent === null || sent.trim() === "" ? address : `${sent}, ${address}`;
    },
  };
}
