/**
 * The gRPC side of one connection of apigw's HTTP/2 server: each stream is a unary call. Its
 * request headers open it (415 for a content-type that is not gRPC, UNIMPLEMENTED for an unknown
 * method), its DATA is collected under the message cap and the connection's buffer budget, and at
 * END_STREAM the one message is decoded, handled (bounded by `grpc-timeout`) and answered:
 * headers, the message, `grpc-status: 0` trailers, or a trailers-only error. An async answer keeps
 * its stream's concurrency slot until it settles, even when the client resets the stream.
 */
import type { Logger } from "../../lib/log.ts";
import { encodeHeaders } from "./h2/hpack_encoder.ts";
import { concat } from "./h2/writer.ts";
import type { H2Stream, StreamHandler } from "./h2/stream.ts";
import {
  encodeMessage,
  isGrpcContentType,
  MESSAGE_HEADER_BYTES,
  parseTimeout,
  type Reply,
  STATUS,
  type UnaryMethod,
} from "./unary_types.ts";

/** `grpc-message` is cut to this many characters before encoding (a header block fits a frame). */
const MAX_DETAILS = 512;

/** A call's state, kept on its stream (`H2Stream.app`). */
export interface UnaryCall {
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
/** The trailers of a successful answer (and of a watch the server ends). */
export const OK_TRAILERS = encodeHeaders([["grpc-status", "0"]]);

/** What the calls of every connection share. */
export interface UnaryCallOptions {
  /** Methods by path, `/<package.Service>/<Method>`. */
  methods: ReadonlyMap<string, UnaryMethod>;
  /** The cap of a request or response message, in bytes. */
  maxMessageBytes: number;
  /** Request bytes one connection may hold in unfinished calls. */
  connectionBudget: number;
  /** Open watch streams: the server ends them with OK trailers when it closes. */
  watchers: Set<H2Stream<UnaryCall>>;
  log: Logger;
}

/** The stream handler of one new connection. */
export function unaryCalls(options: UnaryCallOptions): StreamHandler<UnaryCall> {
  const { methods, maxMessageBytes, connectionBudget, watchers, log } = options;
  const budget = { bytes: 0 };
  const release = (call: UnaryCall) => {
    budget.bytes -= call.held;
    call.held = 0;
  };
  const fail = (
    stream: H2Stream<UnaryCall>,
    call: UnaryCall | undefined,
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

  function finish(stream: H2Stream<UnaryCall>, call: UnaryCall) {
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

  function answer(stream: H2Stream<UnaryCall>, call: UnaryCall, reply: Reply<unknown>) {
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
      const call: UnaryCall = {
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

/** An error answer without a message: status 200 and the gRPC status in the one header block. */
function trailersOnly(stream: H2Stream<UnaryCall>, code: number, details: string) {
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
