/**
 * The webhook HTTPS listener with a certificate that can change while it serves. A request flows:
 * TLS handshake with the key pair loaded last → Node request adapted to a web `Request` → the
 * app's `fetch` → the `Response` written back. The listener opens with the first certificate
 * (before that, there is nothing to serve: docs/spec/certificate.md §6) and `load()` swaps the pair for new
 * handshakes only, so a rotation never fails a request in flight or a connection already open.
 *
 * `node:https` rather than `Deno.serve`: Deno.serve takes its certificate once, while Node's
 * `setSecureContext()` replaces it per handshake (what controller-runtime's `GetCertificate`
 * does), without a second listener or a closing socket that would reset queued connections.
 */
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface KeyPair {
  /** PEM: the serving certificate, then its CA. */
  certPem: string;
  /** PEM private key of the serving certificate. */
  keyPem: string;
}

export interface WebhookServerOptions {
  hostname: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Called once the listener is open, with its address. */
  onListen?: (address: { hostname: string; port: number }) => void;
}

export interface WebhookServer {
  /** Serves `pair` to new handshakes; the first call opens the listener. */
  load(pair: KeyPair): Promise<void>;
  /** The pair new handshakes get, once one is loaded. */
  readonly current: KeyPair | undefined;
  /** The bound address, once listening. */
  readonly address: { hostname: string; port: number } | undefined;
  /** Stops accepting, lets open requests finish, then closes idle connections. */
  close(): Promise<void>;
}

const MAX_HEADER_BYTES = 64 * 1024;
/** How long `close()` lets requests in flight finish before it cuts their connections. */
const CLOSE_GRACE_MS = 5_000;

/** A TLS server for `fetch` (e.g. the Hono webhook app) that opens on the first `load()`. */
export function createWebhookServer(
  fetch: (request: Request) => Response | Promise<Response>,
  options: WebhookServerOptions,
): WebhookServer {
  let server: https.Server | undefined;
  let current: KeyPair | undefined;
  let address: { hostname: string; port: number } | undefined;
  let closed = false;
  // Keep-alive connections of the apiserver stay open for minutes; close() must not wait for
  // them, so each socket is known with the number of requests it is serving.
  const sockets = new Map<Socket, number>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const left = (sockets.get(socket) ?? 1) - 1;
      if (sockets.has(socket)) sockets.set(socket, left);
      if (closed && left === 0) socket.destroy();
    });
    if (closed) res.setHeader("connection", "close");
    try {
      const response = await fetch(toRequest(req, await readBody(req)));
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => (headers[name] = value));
      const body = new Uint8Array(await response.arrayBuffer());
      res.writeHead(response.status, { ...headers, "content-length": String(body.length) });
      res.end(body);
    } catch {
      // The app answers its own errors; this is a broken connection or a bug in the adapter.
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("Internal error");
    }
  }

  return {
    async load(pair) {
      if (closed) return;
      if (server !== undefined) {
        server.setSecureContext({ cert: pair.certPem, key: pair.keyPem });
        current = pair;
        return;
      }
      const created = https.createServer(
        { cert: pair.certPem, key: pair.keyPem, maxHeaderSize: MAX_HEADER_BYTES },
        (req, res) => void handle(req, res),
      );
      created.on("secureConnection", (socket: Socket) => {
        sockets.set(socket, sockets.get(socket) ?? 0);
        socket.once("close", () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        created.once("error", reject);
        created.listen(options.port, options.hostname, () => {
          created.off("error", reject);
          resolve();
        });
      });
      server = created;
      current = pair;
      const bound = created.address();
      address = {
        hostname: options.hostname,
        port: typeof bound === "object" && bound !== null ? bound.port : options.port,
      };
      options.onListen?.(address);
    },
    get current() {
      return current;
    },
    get address() {
      return address;
    },
    async close() {
      closed = true;
      const open = server;
      if (open === undefined) return;
      const stopped = new Promise<void>((resolve) => open.close(() => resolve()));
      for (const [socket, busy] of sockets) if (busy === 0) socket.destroy();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          for (const socket of sockets.keys()) socket.destroy();
          resolve();
        }, CLOSE_GRACE_MS);
      });
      await Promise.race([stopped, deadline]);
      clearTimeout(timer);
      await stopped;
    },
  };
}

function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    req.on("end", () => {
      const total = chunks.reduce((sum, c) => sum + c.length, 0);
      const body = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.length;
      }
      resolve(body);
    });
    req.on("error", reject);
  });
}

function toRequest(req: IncomingMessage, body: Uint8Array<ArrayBuffer>): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const method = req.method ?? "GET";
  return new Request(`https://${req.headers.host ?? "webhook"}${req.url ?? "/"}`, {
    method,
    headers,
    ...(method === "GET" || method === "HEAD" ? {} : { body }),
  });
}
