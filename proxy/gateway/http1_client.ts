/**
 * A small keep-alive HTTP/1.1 client for plain-HTTP upstreams. Deno's `fetch` costs more per
 * request than the rest of the gateway together (bench/README.md); this client writes the head
 * in one write, parses the answer in place, hands small bodies over as bytes and larger ones as a
 * stream, and keeps idle connections per upstream (http1_socket.ts). Framing is strict both ways
 * (http1_request.ts, http1_response.ts).
 *
 * Retry rule: a request is sent again once, on a NEW connection, only when a pooled connection
 * failed before any byte of the answer arrived, its body (if any) is still replayable
 * (`REPLAY_CAP_BYTES`), and either the method is idempotent (RFC 9110 §9.2.2) or writing the
 * request failed. A non-idempotent request whose write succeeded is never sent twice.
 */
import { type FieldMap, type HeadParts, ReplayableBody, requestHead } from "./http1_request.ts";
import { readResponse } from "./http1_response.ts";
import {
  ConnectionFailed,
  DEFAULT_IDLE_MS,
  IDLE_MARGIN_MS,
  Pool,
  type Socket,
} from "./http1_socket.ts";

export { REPLAY_CAP_BYTES } from "./http1_request.ts";
export { DEFAULT_IDLE_MS, IDLE_MARGIN_MS } from "./http1_socket.ts";

export interface Http1Request {
  method: string;
  /** Origin-form target, `/path?query`. */
  target: string;
  /**
   * Validated before writing; the client sets `host`, framing and `connection` itself. A `Map`
   * is keyed by lower-case names.
   */
  headers: FieldMap;
  body: ReadableStream<Uint8Array> | null;
  /** Known request body length (from `Content-Length`), else the body is sent chunked. */
  contentLength?: number;
  signal: AbortSignal;
  /** Response fields (lower-case names) left out of the answer, beside the hop-by-hop ones. */
  dropResponseHeaders?: ReadonlySet<string>;
}

export interface Http1Client {
  request(upstream: { hostname: string; port: number }, request: Http1Request): Promise<Response>;
  /** Pooled idle connections to `upstream`. */
  idle(upstream: { hostname: string; port: number }): number;
  close(): void;
}

export interface Http1ClientOptions {
  /** Idle lifetime of a pooled connection when the upstream sends no `Keep-Alive: timeout=`. */
  defaultIdleMs?: number;
  now?: () => number;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** A client with empty pools. */
export function createHttp1Client(options: Http1ClientOptions = {}): Http1Client {
  const pool = new Pool(options.now !== undefined ? { now: options.now } : {});
  const defaultIdleMs = options.defaultIdleMs ?? DEFAULT_IDLE_MS;

  return {
    async request(upstream, request) {
      const key = `${upstream.hostname}:${upstream.port}`;
      const parts: HeadParts = {
        method: request.method,
        target: request.target,
        host: upstream.hostname.includes(":") ? `[${upstream.hostname}]:${upstream.port}` : key,
        headers: request.headers,
        framing: request.body === null ? "none" : request.contentLength ?? "chunked",
      };
      const head = requestHead(parts);
      const body = request.body === null ? null : new ReplayableBody(request.body);
      for (let retried = false;;) {
        const pooled = retried ? undefined : pool.take(key);
        let socket: Socket;
        try {
          socket = pooled ?? await pool.connect(upstream, request.signal);
        } catch (error) {
          body?.cancel(error);
          throw error;
        }
        const onAbort = () => pool.discard(socket);
        request.signal.addEventListener("abort", onAbort, { once: true });
        const settle = () => request.signal.removeEventListener("abort", onAbort);
        try {
          if (request.signal.aborted) throw request.signal.reason;
          await socket.write(head);
          if (body !== null) await body.writeTo(socket, request.contentLength);
          return await readResponse(socket, request.method, {
            release(keepAliveMs) {
              settle();
              const idleMs = keepAliveMs === undefined
                ? defaultIdleMs
                : keepAliveMs - IDLE_MARGIN_MS;
              pool.release(key, socket, idleMs);
            },
            discard() {
              settle();
              pool.discard(socket);
            },
          }, request.dropResponseHeaders);
        } catch (error) {
          settle();
          const retry = pooled !== undefined && !request.signal.aborted &&
            error instanceof ConnectionFailed && (body === null || body.replayable) &&
            (error.phase === "write" || IDEMPOTENT.has(request.method)) &&
            !await socket.answered();
          pool.discard(socket);
          if (retry) {
            retried = true;
            continue;
          }
          body?.cancel(error);
          throw error;
        }
      }
    },
    idle(upstream) {
      return pool.idleCount(`${upstream.hostname}:${upstream.port}`);
    },
    close() {
      pool.close();
    },
  };
}
