/**
 * The unary gRPC server on apigw's own HTTP/2 layer (`h2/`): binds the listener with the
 * connection limits (the defaults below, overridden per field by `http2Limits` and
 * `maxConnections`), gives each connection its call handler (`h2_unary_calls.ts`) and, on
 * `close()`, ends open watch streams with OK trailers before draining the connections.
 */
import type { ConnectionLimits } from "./h2/limits.ts";
import { startH2Server } from "./h2/server.ts";
import type { H2Stream } from "./h2/stream.ts";
import { OK_TRAILERS, type UnaryCall, unaryCalls } from "./h2_unary_calls.ts";
import {
  CONNECTION_BUFFER_BYTES,
  MESSAGE_HEADER_BYTES,
  type UnaryServer,
  type UnaryServerOptions,
} from "./unary_types.ts";

/**
 * Per-connection limits: Envoy uses a handful of streams per connection; 16 KiB of headers is
 * ample for gRPC; 1000 control or empty frames between two answered calls is far beyond what
 * grpc-go or Envoy send (a PING or WINDOW_UPDATE now and then).
 */
export const H2_DEFAULT_LIMITS: Readonly<Omit<ConnectionLimits, "maxQueuedSendBytes">> = {
  maxConcurrentStreams: 100,
  maxHeaderListBytes: 16 * 1024,
  maxUnproductiveFrames: 1000,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 5 * 60_000,
  requestTimeoutMs: 60_000,
  writeTimeoutMs: 30_000,
};
/**
 * Connections at once: Envoy opens one or a few per worker thread to a cluster host, so even a
 * large mesh stays far below; each costs a 32 KiB read buffer at least.
 */
export const H2_DEFAULT_MAX_CONNECTIONS = 10_000;

/** Binds the listener (a bind error rejects) and serves until `close()`. */
// deno-lint-ignore require-await
export async function startH2UnaryServer(options: UnaryServerOptions): Promise<UnaryServer> {
  const { methods, maxMessageBytes, log } = options;
  const connectionBudget = options.maxConnectionBufferBytes ??
    Math.max(CONNECTION_BUFFER_BYTES, 2 * (maxMessageBytes + MESSAGE_HEADER_BYTES));
  const watchers = new Set<H2Stream<UnaryCall>>();
  const server = startH2Server({
    hostname: options.hostname,
    port: options.port,
    limits: {
      ...H2_DEFAULT_LIMITS,
      maxQueuedSendBytes: Math.max(4 * 1024 * 1024, 2 * (maxMessageBytes + MESSAGE_HEADER_BYTES)),
      ...options.http2Limits,
    },
    maxConnections: options.maxConnections ?? H2_DEFAULT_MAX_CONNECTIONS,
    handlerFor: () => unaryCalls({ methods, maxMessageBytes, connectionBudget, watchers, log }),
    onBug: (error) => log.error("HTTP/2 connection failed", { error: String(error) }),
  });
  return {
    port: server.port,
    async close(graceMs) {
      for (const stream of watchers) stream.end(OK_TRAILERS);
      watchers.clear();
      await server.close(graceMs);
    },
  };
}
