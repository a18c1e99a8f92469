/**
 * The upstream leg of the embedded gateway: the request forwarded to the route's upstream (apigw's
 * HTTP/1.1 client for plain HTTP, `fetch` for https) with the route's timeout and the body cap,
 * in a client span of its own when traced. Failures become the gateway's problem answers
 * (`body_too_large`, `upstream_timeout`, `upstream_unavailable`).
 */
import type { Logger } from "../../lib/log.ts";
import { problemResponse } from "../../lib/problem.ts";
import { inSpan, type Span, SpanKind, traceparentOf, tracingOn } from "../../lib/tracing.ts";
import type { Route } from "./config.ts";
import {
  DROPPED_RESPONSE_HEADERS,
  type Peer,
  responseHeaders,
  upstreamHeaders,
} from "./forward.ts";
import { Deadlines } from "./deadlines.ts";
import type { Http1Client } from "./http1_client.ts";
import { declaredBodyLength } from "./request.ts";

export interface UpstreamDeps {
  log: Logger;
  /** Transport of https upstreams. */
  fetch: typeof fetch;
  /** Transport of plain-HTTP upstreams; `fetch` when absent. */
  http1?: Http1Client;
  maxBodyBytes: number;
}

export interface UpstreamCall {
  target: string;
  peer: Peer;
  requestId: string;
  /** Headers the decision sets upstream. */
  decided: Record<string, string>;
}

export type Forward = (
  request: Request,
  route: Route,
  extra: UpstreamCall,
) => Promise<{ response: Response; reason: string }>;

class BodyTooLarge extends RangeError {}

/** The function the gateway forwards allowed requests with. */
export function createForward(deps: UpstreamDeps): Forward {
  const { log } = deps;
  const deadlines = new Deadlines();
  return forward;

  /** The upstream call, in a client span of its own when traced. */
  function forward(
    request: Request,
    route: Route,
    extra: UpstreamCall,
  ): Promise<{ response: Response; reason: string }> {
    if (!tracingOn()) return callUpstream(request, route, extra, undefined);
    return inSpan("apigw.upstream", {
      kind: SpanKind.CLIENT,
      attributes: {
        "http.request.method": request.method,
        "server.address": route.upstream.service,
        "url.path": extra.target,
      },
    }, async (span) => {
      const result = await callUpstream(request, route, extra, span);
      span?.setAttributes({
        "http.response.status_code": result.response.status,
        "apigw.upstream.outcome": result.reason,
      });
      return result;
    });
  }

  async function callUpstream(
    request: Request,
    route: Route,
    extra: UpstreamCall,
    span: Span | undefined,
  ): Promise<{ response: Response; reason: string }> {
    const headers = upstreamHeaders(request.headers, route, extra);
    // apigw's own HTTP/1.1 client is not traced by Deno: the upstream continues our span.
    if (span !== undefined) headers.set("traceparent", traceparentOf(span));
    const limited = limitBody(request.body, deps.maxBodyBytes);
    const abort = deadlines.arm(route.timeoutMs);
    try {
      if (deps.http1 !== undefined && !route.upstream.tls) {
        const upstream = await deps.http1.request(route.upstream, {
          method: request.method,
          target: extra.target,
          headers,
          body: limited.body,
          ...declaredLength(request, limited.body),
          signal: abort.signal,
          dropResponseHeaders: DROPPED_RESPONSE_HEADERS,
        });
        return { response: upstream, reason: "forwarded" };
      }
      const upstream = await deps.fetch(route.upstream.origin + extra.target, {
        method: request.method,
        headers: fetchHeaders(headers),
        body: limited.body,
        redirect: "manual",
        signal: abort.signal,
      });
      return {
        response: new Response(upstream.body, {
          status: upstream.status,
          statusText: upstream.statusText,
          headers: responseHeaders(upstream.headers),
        }),
        reason: "forwarded",
      };
    } catch (error) {
      if (limited.exceeded()) {
        return {
          response: problem(413, "body_too_large", "Body too large"),
          reason: "body_too_large",
        };
      }
      if (abort.signal.aborted) {
        return {
          response: problem(504, "upstream_timeout", "Upstream did not answer in time"),
          reason: "upstream_timeout",
        };
      }
      log.debug("Failed to reach upstream", { upstream: route.upstream.service, error });
      return {
        response: problem(502, "upstream_unavailable", "Upstream cannot be reached"),
        reason: "upstream_unavailable",
      };
    } finally {
      // The route timeout covers the wait for the upstream's response head (documented).
      abort.clear();
    }
  }
}

function declaredLength(request: Request, body: unknown): { contentLength?: number } {
  // readRequest refused invalid framing; repeated identical lengths merge to one number.
  const length = declaredBodyLength(request.headers);
  return body !== null && length.ok && length.value !== undefined
    ? { contentLength: length.value }
    : {};
}

// Deno's fetch asks for gzip and decompresses unless told what to accept: pass bytes through.
function fetchHeaders(headers: Map<string, string>): Headers {
  const copy = new Headers([...headers]);
  if (!headers.has("accept-encoding")) copy.set("accept-encoding", "identity");
  return copy;
}

/** A streamed body that errors once more than `max` bytes passed. */
function limitBody(body: ReadableStream<Uint8Array> | null, max: number) {
  let seen = 0;
  let exceeded = false;
  if (body === null) return { body: null, exceeded: () => false };
  const counted = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) {
          exceeded = true;
          controller.error(new BodyTooLarge(`Request body exceeds ${max} bytes`));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return { body: counted, exceeded: () => exceeded };
}

function problem(status: number, reason: string, detail: string): Response {
  return problemResponse(status, { detail, reason });
}
