/**
 * The unary gRPC server on `node:http2` (h2c), kept as the fallback of `unary_server.ts`
 * (`http2: "node"`) and as the baseline of the benchmarks. HTTP/2 framing errors are
 * node:http2's (GOAWAY or RST_STREAM); a reset stream is dropped; nothing a client sends ends the
 * process.
 */
import http2 from "node:http2";
import { Buffer } from "node:buffer";
import {
  CONNECTION_BUFFER_BYTES,
  encodeMessage,
  isGrpcContentType,
  MESSAGE_HEADER_BYTES as HEADER_BYTES,
  parseTimeout,
  type Reply,
  STATUS,
  type UnaryServer,
  type UnaryServerOptions,
} from "./unary_types.ts";

/** HTTP/2 settings that bound what one client may hold (Envoy uses a handful of streams). */
const SETTINGS: http2.Settings = {
  maxConcurrentStreams: 1000,
  maxHeaderListSize: 16 * 1024,
};
const NO_DEADLINE = Infinity;

/** Binds a `node:http2` listener and serves `options.methods` until `close()`. */
export async function startNodeUnaryServer(options: UnaryServerOptions): Promise<UnaryServer> {
  const { methods, maxMessageBytes, log } = options;
  const sessions = new Set<http2.ServerHttp2Session>();
  const buffered = new WeakMap<http2.Http2Session, { bytes: number }>();
  const connectionBudget = options.maxConnectionBufferBytes ??
    Math.max(CONNECTION_BUFFER_BYTES, 2 * (maxMessageBytes + HEADER_BYTES));
  const watchers = new Set<http2.ServerHttp2Stream>();
  const server = http2.createServer({ settings: SETTINGS, maxSessionMemory: 16 });
  server.on("session", (session) => {
    sessions.add(session);
    buffered.set(session, { bytes: 0 });
    session.on("close", () => sessions.delete(session));
    session.on("error", () => {}); // a broken connection: its streams are gone, nothing to do
  });
  server.on("sessionError", () => {});
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    stream.on("error", () => {}); // a reset stream: the call is dropped
    try {
      serveCall(stream, headers);
    } catch (error) {
      log.error("Failed to serve a gRPC call", { error: String(error) });
      trailersOnly(stream, STATUS.INTERNAL, "internal error");
    }
  });

  function serveCall(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
    const type = headers["content-type"];
    if (headers[":method"] !== "POST" || !isGrpcContentType(type)) {
      // Not a gRPC call: the HTTP answer grpc-go gives (415), with a status for gRPC clients.
      stream.respond({
        ":status": 415,
        "content-type": "text/plain",
        "grpc-status": String(STATUS.INTERNAL),
        "grpc-message": "invalid gRPC request content-type",
      }, { endStream: true });
      return;
    }
    const method = methods.get(String(headers[":path"]));
    if (method === undefined) {
      trailersOnly(stream, STATUS.UNIMPLEMENTED, `unknown method ${headers[":path"]}`);
      return;
    }
    const timeout = parseTimeout(headers["grpc-timeout"]);
    const deadline = timeout === NO_DEADLINE ? NO_DEADLINE : performance.now() + timeout;
    const chunks: Uint8Array[] = [];
    let received = 0;
    let done = false;
    const budget = (stream.session && buffered.get(stream.session)) ?? { bytes: 0 };
    let held = 0; // of the connection's budget
    const release = () => {
      budget.bytes -= held;
      held = 0;
    };
    const fail = (code: number, details: string) => {
      release();
      if (done) return;
      done = true;
      trailersOnly(stream, code, details);
    };
    let expected = -1; // the message's length, once its prefix has arrived
    stream.on("data", (chunk: Uint8Array) => {
      if (done) return;
      received += chunk.byteLength;
      chunks.push(chunk);
      held += chunk.byteLength;
      budget.bytes += chunk.byteLength;
      if (budget.bytes > connectionBudget) {
        fail(STATUS.RESOURCE_EXHAUSTED, "too many unfinished request bytes on this connection");
        return;
      }
      if (expected < 0 && received >= HEADER_BYTES) {
        const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        expected = new DataView(head.buffer, head.byteOffset).getUint32(1);
        if (expected > maxMessageBytes) {
          fail(
            STATUS.RESOURCE_EXHAUSTED,
            `message of ${expected} bytes exceeds the limit of ${maxMessageBytes}`,
          );
        }
      }
      if (expected >= 0 && received > HEADER_BYTES + expected) {
        fail(STATUS.UNIMPLEMENTED, "a unary method takes one message");
      }
    });
    stream.on("end", () => {
      release();
      if (done) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (body.byteLength < HEADER_BYTES) {
        fail(STATUS.INTERNAL, "the request has no message");
        return;
      }
      if (body[0] !== 0) {
        fail(STATUS.UNIMPLEMENTED, "compressed messages are not supported");
        return;
      }
      const length = new DataView(body.buffer, body.byteOffset).getUint32(1);
      if (body.byteLength !== HEADER_BYTES + length) {
        fail(STATUS.INTERNAL, "the request message is truncated");
        return;
      }
      let request;
      try {
        request = method.decode(body.subarray(HEADER_BYTES));
      } catch (error) {
        fail(STATUS.INTERNAL, `Error deserializing request: ${String(error)}`);
        return;
      }
      const call = {
        peer: stream.session?.socket?.remoteAddress,
        remainingMs: deadline === NO_DEADLINE ? NO_DEADLINE : deadline - performance.now(),
      };
      let reply;
      try {
        reply = method.handle(request, call);
      } catch (error) {
        log.error("Failed to answer a gRPC call", { error: String(error) });
        fail(STATUS.INTERNAL, "internal error");
        return;
      }
      if (!(reply instanceof Promise)) {
        answer(reply);
        return;
      }
      const timer = deadline === NO_DEADLINE ? undefined : setTimeout(
        () => fail(STATUS.DEADLINE_EXCEEDED, "deadline exceeded"),
        Math.max(0, deadline - performance.now()),
      );
      reply.then(answer, (error: unknown) => {
        log.error("Failed to answer a gRPC call", { error: String(error) });
        fail(STATUS.INTERNAL, "internal error");
      }).finally(() => clearTimeout(timer));
    });
    stream.on("close", () => {
      release();
      done = true;
      watchers.delete(stream);
    });

    function answer(reply: Reply<unknown>) {
      if (done) return;
      if (!reply.ok) {
        fail(reply.code, reply.details);
        return;
      }
      let payload;
      try {
        payload = method!.encode(reply.message);
      } catch (error) {
        log.error("Failed to encode a gRPC answer", { error: String(error) });
        fail(STATUS.INTERNAL, "internal error");
        return;
      }
      if (payload.byteLength > maxMessageBytes) {
        fail(STATUS.RESOURCE_EXHAUSTED, "the response exceeds the message size limit");
        return;
      }
      done = true;
      if (stream.destroyed || stream.closed) return;
      const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.byteLength);
      frame[0] = 0;
      frame.writeUInt32BE(payload.byteLength, 1);
      frame.set(payload, HEADER_BYTES);
      if (method!.watch) {
        // Ends with OK trailers when the server closes (`close()` ends every watcher).
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, {
          waitForTrailers: true,
        });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.write(frame);
        watchers.add(stream);
        return;
      }
      stream.respond({
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-accept-encoding": "identity",
      }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame);
    }
  }

  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      const address = server.address();
      if (address === null || typeof address === "string") {
        reject(new Error(`no TCP address for ${host}:${options.port}`));
      } else resolve(address.port);
    });
  });
  server.on("error", (error) => log.error("gRPC listener failed", { error: String(error) }));
  return {
    port,
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const stream of watchers) {
        if (!stream.closed) stream.end();
      }
      for (const session of sessions) session.close();
      const timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

/** An error answer without a message: status 200 and the gRPC status in the one header block. */
function trailersOnly(stream: http2.ServerHttp2Stream, code: number, details: string) {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    stream.close(http2.constants.NGHTTP2_CANCEL);
    return;
  }
  stream.respond({
    ":status": 200,
    "content-type": "application/grpc",
    "grpc-status": String(code),
    "grpc-message": encodeMessage(details),
  }, { endStream: true });
  // The client may still be sending (an oversized message): it is not read any further.
  if (!stream.readableEnded) stream.close(http2.constants.NGHTTP2_NO_ERROR);
}
