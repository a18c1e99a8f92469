/**
 * The unary gRPC layer on apigw's own HTTP/2 server (`h2/`): a call's request headers open it
 * (415 for a content-type that is not gRPC, UNIMPLEMENTED for an unknown method), its DATA is
 * collected under the message cap and the connection's buffer budget, and at END_STREAM the one
 * message is decoded, handled (bounded by `grpc-timeout`) and answered: headers, the message,
 * `grpc-status: 0` trailers, or a trailers-only error. An async answer keeps its stream's
 * concurrency slot until it settles, even when the client resets the stream.
 */
import type { ConnectionLimits, StreamHandler } from "./h2/connection.ts";
import { startH2Server } from "./h2/server.ts";
import type { H2Stream } from "./h2/stream.ts";
import { encodeHeaders } from "./h2/hpack_encoder.ts";
import {
  CONNECTION_BUFFER_BYTES,
  encodeMessage,
  isGrpcContentType,
  MESSAGE_HEADER_BYTES,
  parseTimeout,
  type Reply,
  STATUS,
  type UnaryMethod,
  type UnaryServer,
  type UnaryServerOptions,
} from "./unary_types.ts";

/**
 * Per-connection limits: Envoy uses a handful of streams per connection; 16 KiB of headers is
 * ample for gRPC; 1000 control or empty frames between two answered calls is far beyond what
 * grpc-go or Envoy send (a PING or WINDOW_UPDATE now and then).
 */
const LIMITS: Omit<ConnectionLimits, "maxQueuedSendBytes"> = {
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
const MAX_CONNECTIONS = 10_000;
/** `grpc-message` is cut to this many characters before encoding (a header block fits a frame). */
const MAX_DETAILS = 512;

interface Call {
  method: UnaryMethod;
  deadline: number;
  chunks: Uint8Array[];
  received: number;
  /** The message's length, once its prefix has arrived (-1 before). */
  expected: number;
  /** Bytes of the connection's budget this call holds. */
  held: number;
  done: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The header blocks every answer shares, encoded once. */
const OK_HEADERS = encodeHeaders([
  [":status", "200"],
  ["content-type", "application/grpc"],
  ["grpc-accept-encoding", "identity"],
]);
const WATCH_HEADERS = encodeHeaders([[":status", "200"], ["content-type", "application/grpc"]]);
const OK_TRAILERS = encodeHeaders([["grpc-status", "0"]]);

/** Binds the listener (a bind error rejects) and serves until `close()`. */
// deno-lint-ignore require-await
export async function startH2UnaryServer(options: UnaryServerOptions): Promise<UnaryServer> {
  const { methods, maxMessageBytes, log } = options;
  const connectionBudget = options.maxConnectionBufferBytes ??
    Math.max(CONNECTION_BUFFER_BYTES, 2 * (maxMessageBytes + MESSAGE_HEADER_BYTES));
  const watchers = new Set<H2Stream<Call>>();

  function handlerFor(): StreamHandler<Call> {
    const budget = { bytes: 0 };
    const release = (call: Call) => {
      budget.bytes -= call.held;
      call.held = 0;
    };
    const fail = (
      stream: H2Stream<Call>,
      call: Call | undefined,
      code: number,
      details: string,
    ) => {
      if (call !== undefined) {
        release(call);
        if (call.done) return;
        call.done = true;
        clearTimeout(call.timer);
      }
      trailersOnly(stream, code, details);
    };

    function finish(stream: H2Stream<Call>, call: Call) {
      release(call);
      const body = call.chunks.length === 1 ? call.chunks[0]! : concat(call.chunks, call.received);
      call.chunks = [];
      if (body.byteLength < MESSAGE_HEADER_BYTES) {
        return fail(stream, call, STATUS.INTERNAL, "the request has no message");
      }
      if (body[0] !== 0) {
        return fail(stream, call, STATUS.UNIMPLEMENTED, "compressed messages are not supported");
      }
      if (body.byteLength !== MESSAGE_HEADER_BYTES + call.expected) {
        return fail(stream, call, STATUS.INTERNAL, "the request message is truncated");
      }
      let request;
      try {
        request = call.method.decode(body.subarray(MESSAGE_HEADER_BYTES));
      } catch (error) {
        return fail(stream, call, STATUS.INTERNAL, `Error deserializing request: ${String(error)}`);
      }
      const info = {
        peer: stream.peer,
        remainingMs: call.deadline === Infinity ? Infinity : call.deadline - performance.now(),
      };
      let reply;
      try {
        reply = call.method.handle(request, info);
      } catch (error) {
        log.error("Failed to answer a gRPC call", { error: String(error) });
        return fail(stream, call, STATUS.INTERNAL, "internal error");
      }
      if (!(reply instanceof Promise)) return answer(stream, call, reply);
      stream.hold();
      if (call.deadline !== Infinity) {
        call.timer = setTimeout(
          () => fail(stream, call, STATUS.DEADLINE_EXCEEDED, "deadline exceeded"),
          Math.max(0, call.deadline - performance.now()),
        );
      }
      reply.then((value) => answer(stream, call, value), (error: unknown) => {
        log.error("Failed to answer a gRPC call", { error: String(error) });
        fail(stream, call, STATUS.INTERNAL, "internal error");
      }).finally(() => {
        clearTimeout(call.timer);
        stream.release();
      });
    }

    function answer(stream: H2Stream<Call>, call: Call, reply: Reply<unknown>) {
      if (call.done) return;
      if (!reply.ok) return fail(stream, call, reply.code, reply.details);
      let payload;
      try {
        payload = call.method.encode(reply.message);
      } catch (error) {
        log.error("Failed to encode a gRPC answer", { error: String(error) });
        return fail(stream, call, STATUS.INTERNAL, "internal error");
      }
      if (payload.byteLength > maxMessageBytes) {
        return fail(
          stream,
          call,
          STATUS.RESOURCE_EXHAUSTED,
          "the response exceeds the message size limit",
        );
      }
      call.done = true;
      const message = new Uint8Array(MESSAGE_HEADER_BYTES + payload.byteLength);
      new DataView(message.buffer).setUint32(1, payload.byteLength);
      message.set(payload, MESSAGE_HEADER_BYTES);
      if (call.method.watch) {
        // Ends with OK trailers when the server closes (`close()` ends every watcher).
        stream.respond(WATCH_HEADERS);
        stream.write(message);
        if (!stream.closed) watchers.add(stream);
        return;
      }
      stream.answer(OK_HEADERS, message, OK_TRAILERS);
    }

    return {
      open(stream, head, endStream) {
        if (head.method !== "POST" || !isGrpcContentType(head.fields.get("content-type"))) {
          // Not a gRPC call: the HTTP answer grpc-go gives (415), with a status for gRPC clients.
          stream.respond([
            [":status", "415"],
            ["content-type", "text/plain"],
            ["grpc-status", String(STATUS.INTERNAL)],
            ["grpc-message", "invalid gRPC request content-type"],
          ], true);
          return;
        }
        const method = methods.get(head.path);
        if (method === undefined) {
          return fail(stream, undefined, STATUS.UNIMPLEMENTED, `unknown method ${head.path}`);
        }
        const timeout = parseTimeout(head.fields.get("grpc-timeout"));
        const call: Call = {
          method,
          deadline: timeout === Infinity ? Infinity : performance.now() + timeout,
          chunks: [],
          received: 0,
          expected: -1,
          held: 0,
          done: false,
          timer: undefined,
        };
        stream.app = call;
        if (endStream) finish(stream, call);
      },
      data(stream, chunk, endStream) {
        const call = stream.app;
        if (call === undefined || call.done) return;
        if (chunk.byteLength > 0) {
          call.received += chunk.byteLength;
          call.chunks.push(chunk.slice());
          call.held += chunk.byteLength;
          budget.bytes += chunk.byteLength;
          if (budget.bytes > connectionBudget) {
            return fail(
              stream,
              call,
              STATUS.RESOURCE_EXHAUSTED,
              "too many unfinished request bytes on this connection",
            );
          }
          if (call.expected < 0 && call.received >= MESSAGE_HEADER_BYTES) {
            const head = call.chunks.length === 1
              ? call.chunks[0]!
              : concat(call.chunks, call.received);
            call.chunks = [head];
            call.expected = new DataView(head.buffer, head.byteOffset).getUint32(1);
            if (call.expected > maxMessageBytes) {
              return fail(
                stream,
                call,
                STATUS.RESOURCE_EXHAUSTED,
                `message of ${call.expected} bytes exceeds the limit of ${maxMessageBytes}`,
              );
            }
          }
          if (call.expected >= 0 && call.received > MESSAGE_HEADER_BYTES + call.expected) {
            return fail(stream, call, STATUS.UNIMPLEMENTED, "a unary method takes one message");
          }
        }
        if (endStream) finish(stream, call);
      },
      reset(stream) {
        watchers.delete(stream);
        const call = stream.app;
        if (call === undefined) return;
        release(call);
        call.done = true;
        clearTimeout(call.timer);
      },
    };
  }

  const server = startH2Server({
    hostname: options.hostname,
    port: options.port,
    limits: {
      ...LIMITS,
      maxQueuedSendBytes: Math.max(4 * 1024 * 1024, 2 * (maxMessageBytes + MESSAGE_HEADER_BYTES)),
      ...options.http2Limits,
    },
    maxConnections: options.maxConnections ?? MAX_CONNECTIONS,
    handlerFor,
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

/** An error answer without a message: status 200 and the gRPC status in the one header block. */
function trailersOnly(stream: H2Stream<Call>, code: number, details: string) {
  if (stream.closed) return;
  if (stream.headersSent) {
    stream.reset(0x8); // CANCEL: the answer had begun
    return;
  }
  stream.respond([
    [":status", "200"],
    ["content-type", "application/grpc"],
    ["grpc-status", String(code)],
    ["grpc-message", encodeMessage(details.slice(0, MAX_DETAILS))],
  ], true);
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
