/**
 * A plain-HTTP/1.1 listener that enforces what `Deno.serve` cannot (issue 14 #5): a header-read
 * timeout, an idle keep-alive timeout, a whole-request timeout and a connection cap, through
 * Deno's `node:http` server, in front of a fetch-style handler. Only `bench/listener.ts` uses it:
 * it is the measured alternative of docs/upstream-differences.md, "Data-plane limits"; the
 * commands keep `Deno.serve`, which costs less per request and speaks HTTP/2 over TLS.
 */
import http from "node:http";
import { Readable } from "node:stream";

export interface ListenerLimits {
  /** Time to receive a whole request head (nginx client_header_timeout, 60 s). */
  headersTimeoutMs: number;
  /** Time to receive a whole request (Envoy request_timeout off; node's 300 s). */
  requestTimeoutMs: number;
  /** Idle time between requests on a keep-alive connection (nginx keepalive_timeout, 75 s). */
  keepAliveTimeoutMs: number;
  /** Open connections; past it new ones are closed at once (0: no cap). */
  maxConnections: number;
  /** How often timeouts are checked (node's connectionsCheckingInterval). */
  checkIntervalMs: number;
}

export interface LimitedServer {
  addr: Deno.NetAddr;
  finished: Promise<void>;
  /** Stops accepting; open connections end after their request. */
  shutdown(): Promise<void>;
}

type Handler = (
  request: Request,
  info: { remoteAddr: Deno.NetAddr },
) => Response | Promise<Response>;

/** Serves `handler` on `hostname:port` under `limits`. */
export async function serveWithLimits(
  options: { hostname: string; port: number },
  limits: ListenerLimits,
  handler: Handler,
): Promise<LimitedServer> {
  const server = http.createServer({
    connectionsCheckingInterval: limits.checkIntervalMs,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  }, (req, res) => {
    answer(req, res, handler).catch(() => res.destroy());
  });
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  const { promise: finished, resolve } = Promise.withResolvers<void>();
  server.on("close", () => resolve());
  await new Promise<void>((listening, failed) => {
    server.once("error", failed);
    server.listen(options.port, options.hostname, () => listening());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new TypeError("not a TCP listener");
  return {
    addr: { transport: "tcp", hostname: address.address, port: address.port },
    finished,
    shutdown() {
      server.close();
      server.closeIdleConnections();
      return finished;
    },
  };
}

async function answer(req: http.IncomingMessage, res: http.ServerResponse, handler: Handler) {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  const method = req.method ?? "GET";
  const bodyless = method === "GET" || method === "HEAD";
  const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method,
    headers,
    ...(bodyless
      ? {}
      : { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" }),
  });
  const response = await handler(request, {
    remoteAddr: {
      transport: "tcp",
      hostname: req.socket.remoteAddress ?? "",
      port: req.socket.remotePort ?? 0,
    },
  });
  res.writeHead(response.status, [...response.headers].flat());
  if (response.body === null) {
    res.end();
    return;
  }
  for await (const chunk of response.body) {
    if (!res.write(chunk)) await new Promise((drained) => res.once("drain", drained));
  }
  res.end();
}
