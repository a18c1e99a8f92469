/**
 * apigw's HTTP/2 server over `Deno.listen`: h2c with prior knowledge only (what Envoy opens to a
 * cluster with `http2_protocol_options`, and what gRPC clients use without TLS). Each accepted
 * connection is a `Connection` with its own handler from `handlerFor`, up to `maxConnections` at
 * once; `close` drains them (GOAWAY, open streams finish) and ends what is left after the grace
 * period.
 */
import { Connection } from "./connection.ts";
import type { ConnectionLimits } from "./limits.ts";
import type { StreamHandler } from "./stream.ts";

/** Where to listen, what each connection may cost, and who answers its streams. */
export interface H2ServerOptions<T> {
  hostname: string;
  port: number;
  limits: ConnectionLimits;
  /** Connections served at once; one more is closed as soon as it is accepted. */
  maxConnections: number;
  /** The application side of one new connection. */
  handlerFor(): StreamHandler<T>;
  /** An error of the server's own (not the peer's) that ended a connection. */
  onBug(error: unknown): void;
}

/** A listening server. */
export interface H2Server {
  readonly port: number;
  /** Stops accepting, drains every connection, ends the rest after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

/** Binds the listener and serves until `close()`. */
export function startH2Server<T>(options: H2ServerOptions<T>): H2Server {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const connections = new Set<Connection<T>>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        if (connections.size >= options.maxConnections) {
          conn.close();
          continue;
        }
        const connection = new Connection(conn, options.handlerFor(), {
          limits: options.limits,
          onBug: options.onBug,
        });
        connections.add(connection);
        connection.done.finally(() => connections.delete(connection));
      }
    } catch {
      // The listener was closed.
    }
  })();
  return {
    port: listener.addr.port,
    async close(graceMs) {
      try {
        listener.close();
      } catch { /* closed */ }
      await accepting;
      for (const connection of connections) connection.drain();
      const all = Promise.all([...connections].map((c) => c.done));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
      await Promise.race([all, grace]);
      clearTimeout(timer);
      for (const connection of connections) connection.destroy();
      await all;
    },
  };
}
