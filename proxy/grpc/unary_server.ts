/**
 * apigw's thin unary gRPC server (h2c): what its listeners need of gRPC and no more. Each call is
 * one HTTP/2 stream: `POST /<service>/<method>`, `content-type: application/grpc`, one
 * length-prefixed message (flag byte, 4-byte big-endian length); the answer is one such message
 * and the `grpc-status`/`grpc-message` trailers, or a trailers-only response for an error.
 * `grpc-timeout` bounds the call (DEADLINE_EXCEEDED). Only unary methods, plus server streams
 * that send and then wait (health `Watch`). Compressed messages are refused (UNIMPLEMENTED; we
 * announce `grpc-accept-encoding: identity`), a message over the cap is RESOURCE_EXHAUSTED as soon
 * as its length prefix arrives, a malformed one INTERNAL (as grpc-go and grpc-js answer it).
 *
 * The HTTP/2 layer is apigw's own over `Deno.listen` (`h2_unary_server.ts`, `h2/`) unless
 * `http2: "node"` asks for `node:http2` (`node_unary_server.ts`), the layer it replaced.
 */
import { startH2UnaryServer } from "./h2_unary_server.ts";
import { startNodeUnaryServer } from "./node_unary_server.ts";
import type { UnaryServer, UnaryServerOptions } from "./unary_types.ts";

export {
  type CallInfo,
  encodeMessage,
  parseTimeout,
  type Reply,
  STATUS,
  type UnaryMethod,
  type UnaryServer,
  type UnaryServerOptions,
} from "./unary_types.ts";

/** Binds the listener and serves `options.methods` until `close()`. */
export function startUnaryServer(options: UnaryServerOptions): Promise<UnaryServer> {
  return options.http2 === "node" ? startNodeUnaryServer(options) : startH2UnaryServer(options);
}
