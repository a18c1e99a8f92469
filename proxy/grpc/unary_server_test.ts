/**
 * The thin gRPC server over real sockets, on both of its HTTP/2 layers, with a raw node:http2 client so each test controls the
 * framing: a call and its trailers, the length-prefix cap before the message arrives, compressed
 * and extra messages, a wrong content-type, unknown methods, grpc-timeout, a client reset while
 * the answer waits, and garbage instead of HTTP/2, each followed by a call that still works.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { Buffer } from "node:buffer";
import { createLogger } from "../../lib/log.ts";
import {
  encodeMessage,
  parseTimeout,
  startUnaryServer,
  STATUS,
  type UnaryMethod,
} from "./unary_server.ts";

const text = new TextDecoder();
const bytes = (value: string) => new TextEncoder().encode(value);

/** Echo answers `echo:<request>`; Slow waits for `release`; Fail throws in decode on "bad". */
/** Each test runs on both HTTP/2 layers: apigw's own (`h2/`) and the node:http2 fallback. */
const LAYERS = ["apigw", "node"] as const;
type Layer = typeof LAYERS[number];

function layerTest(name: string, fn: (layer: Layer) => Promise<void>) {
  Deno.test(name, async (t) => {
    for (const layer of LAYERS) await t.step(layer, () => fn(layer));
  });
}

async function fixture(layer: Layer, maxConnectionBufferBytes?: number, maxMessageBytes = 1024) {
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  const seen: { remainingMs: number; peer: string | undefined }[] = [];
  const echo: UnaryMethod = {
    decode(data) {
      const value = text.decode(data);
      if (value === "bad") throw new RangeError("index out of range");
      return value;
    },
    encode: (message) => bytes(String(message)),
    handle(request, call) {
      seen.push(call);
      return { ok: true, message: `echo:${request}` };
    },
  };
  const methods = new Map<string, UnaryMethod>([
    ["/test.Echo/Echo", echo],
    ["/test.Echo/Slow", {
      ...echo,
      handle: () => released.then(() => ({ ok: true as const, message: "late" })),
    }],
    ["/test.Echo/Watch", { ...echo, watch: true }],
  ]);
  const server = await startUnaryServer({
    hostname: "127.0.0.1",
    port: 0,
    methods,
    maxMessageBytes,
    http2: layer,
    ...(maxConnectionBufferBytes !== undefined ? { maxConnectionBufferBytes } : {}),
    log,
  });
  const client = http2.connect(`http://127.0.0.1:${server.port}`);
  client.on("error", () => {});
  return {
    server,
    client,
    seen,
    release,
    logs,
    async [Symbol.asyncDispose]() {
      release();
      client.close();
      await server.close(100);
    },
  };
}

interface Result {
  status: number | undefined;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Uint8Array;
  /** The gRPC status from the trailers, or from the headers of a trailers-only answer. */
  grpcStatus: string | undefined;
  reset: boolean;
}

function frame(payload: Uint8Array, flag = 0): Uint8Array {
  const out = Buffer.alloc(5 + payload.byteLength);
  out[0] = flag;
  out.writeUInt32BE(payload.byteLength, 1);
  out.set(payload, 5);
  return out;
}

function call(
  client: http2.ClientHttp2Session,
  path: string,
  body: Uint8Array | undefined,
  options: { headers?: http2.OutgoingHttpHeaders; end?: boolean } = {},
): { result: Promise<Result>; stream: http2.ClientHttp2Stream } {
  const stream = client.request({
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc",
    te: "trailers",
    ...options.headers,
  });
  const result = new Promise<Result>((resolve) => {
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Uint8Array[] = [];
    stream.on("response", (h) => headers = h);
    stream.on("trailers", (t) => trailers = t);
    stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    stream.on("error", () => {});
    stream.on("close", () =>
      resolve({
        status: Number(headers[":status"]),
        headers,
        trailers,
        body: Buffer.concat(chunks),
        grpcStatus: String(trailers["grpc-status"] ?? headers["grpc-status"]),
        reset: stream.rstCode !== undefined && stream.rstCode !== 0,
      }));
  });
  if (body !== undefined) stream.write(body);
  if (options.end ?? true) stream.end();
  return { result, stream };
}

layerTest(
  "a unary call: headers, one length-prefixed message, grpc-status 0 in trailers",
  async (layer) => {
    await using f = await fixture(layer);
    const r = await call(f.client, "/test.Echo/Echo", frame(bytes("hi")), {
      headers: { "grpc-timeout": "5S" },
    }).result;
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "application/grpc");
    assert.equal(r.trailers["grpc-status"], "0");
    assert.deepEqual(r.body, frame(bytes("echo:hi")));
    assert.equal(f.seen[0]!.peer, "127.0.0.1");
    assert.ok(f.seen[0]!.remainingMs > 4_000 && f.seen[0]!.remainingMs <= 5_000);
  },
);

layerTest("bad input is a gRPC status and the server keeps serving", async (layer) => {
  await using f = await fixture(layer);
  const status = async (
    path: string,
    body: Uint8Array | undefined,
    headers: http2.OutgoingHttpHeaders = {},
  ) => (await call(f.client, path, body, { headers }).result).grpcStatus;
  assert.equal(await status("/test.Echo/Nope", frame(bytes("x"))), String(STATUS.UNIMPLEMENTED));
  assert.equal(await status("/test.Echo/Echo", frame(bytes("bad"))), String(STATUS.INTERNAL));
  assert.equal(await status("/test.Echo/Echo", undefined), String(STATUS.INTERNAL));
  // A prefix announcing 10 bytes followed by 3: truncated.
  assert.equal(
    await status("/test.Echo/Echo", frame(bytes("0123456789")).subarray(0, 8)),
    String(STATUS.INTERNAL),
  );
  assert.equal(
    await status("/test.Echo/Echo", frame(bytes("x"), 1), { "grpc-encoding": "gzip" }),
    String(STATUS.UNIMPLEMENTED),
  );
  assert.equal(
    await status("/test.Echo/Echo", Buffer.concat([frame(bytes("a")), frame(bytes("b"))])),
    String(STATUS.UNIMPLEMENTED),
  );
  const json = await call(f.client, "/test.Echo/Echo", bytes("{}"), {
    headers: { "content-type": "application/json" },
  }).result;
  assert.equal(json.status, 415);
  assert.equal(json.grpcStatus, String(STATUS.INTERNAL));
  const ok = await call(f.client, "/test.Echo/Echo", frame(bytes("still"))).result;
  assert.deepEqual(ok.body, frame(bytes("echo:still")));
});

layerTest(
  "an oversized message is refused at its length prefix, before its bytes arrive",
  async (layer) => {
    await using f = await fixture(layer);
    const prefix = Buffer.from([0, 0, 0x10, 0, 0]); // 1 MiB announced, cap 1 KiB, nothing sent
    const { result } = call(f.client, "/test.Echo/Echo", prefix, { end: false });
    const r = await result;
    assert.equal(r.grpcStatus, String(STATUS.RESOURCE_EXHAUSTED));
    assert.match(decodeURIComponent(String(r.headers["grpc-message"])), /exceeds the limit/);
    const ok = await call(f.client, "/test.Echo/Echo", frame(bytes("after"))).result;
    assert.equal(ok.trailers["grpc-status"], "0");
  },
);

layerTest("unfinished calls on one connection hold at most its buffer budget", async (layer) => {
  await using f = await fixture(layer, 4096);
  // Four calls each send 1000 of their 1024 bytes and wait: 4020 bytes held.
  const partial = frame(new Uint8Array(1024)).subarray(0, 1005);
  const waiting = [0, 1, 2, 3].map(() =>
    call(f.client, "/test.Echo/Echo", partial, { end: false })
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  const fifth = await call(f.client, "/test.Echo/Echo", partial, { end: false }).result;
  assert.equal(fifth.grpcStatus, String(STATUS.RESOURCE_EXHAUSTED));
  assert.match(decodeURIComponent(String(fifth.headers["grpc-message"])), /unfinished request/);
  // Finished or cancelled calls give their bytes back.
  for (const { stream } of waiting) stream.close(http2.constants.NGHTTP2_CANCEL);
  await Promise.all(waiting.map((w) => w.result));
  const ok = await call(f.client, "/test.Echo/Echo", frame(bytes("room"))).result;
  assert.deepEqual(ok.body, frame(bytes("echo:room")));
});

layerTest(
  "a large message both ways crosses the flow-control windows and frame size",
  async (layer) => {
    await using f = await fixture(layer, undefined, 1024 * 1024);
    // 300 KB: more than a stream's initial window (65 535) and many 16 KiB frames each way.
    const big = "x".repeat(300_000);
    const calls = [1, 2, 3].map(() => call(f.client, "/test.Echo/Echo", frame(bytes(big))).result);
    for (const r of await Promise.all(calls)) {
      assert.equal(r.trailers["grpc-status"], "0");
      assert.equal(r.body.byteLength, 5 + 5 + big.length);
      assert.equal(text.decode(r.body.subarray(5, 15)), "echo:xxxxx");
    }
  },
);

layerTest("grpc-timeout: a call that outlives it ends DEADLINE_EXCEEDED", async (layer) => {
  await using f = await fixture(layer);
  const started = performance.now();
  const r = await call(f.client, "/test.Echo/Slow", frame(bytes("x")), {
    headers: { "grpc-timeout": "150m" },
  }).result;
  assert.equal(r.grpcStatus, String(STATUS.DEADLINE_EXCEEDED));
  assert.ok(performance.now() - started < 2_000);
});

layerTest(
  "a client reset while the answer waits: the late answer is dropped, nothing breaks",
  async (layer) => {
    await using f = await fixture(layer);
    const { stream, result } = call(f.client, "/test.Echo/Slow", frame(bytes("x")));
    await new Promise((resolve) => setTimeout(resolve, 50));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await result;
    f.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const ok = await call(f.client, "/test.Echo/Echo", frame(bytes("next"))).result;
    assert.deepEqual(ok.body, frame(bytes("echo:next")));
    assert.equal(f.logs.filter((l) => l.level === "error").length, 0, JSON.stringify(f.logs));
  },
);

layerTest("garbage instead of HTTP/2 closes that connection only", async (layer) => {
  await using f = await fixture(layer);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: f.server.port });
  await conn.write(bytes("GET / HTTP/1.1\r\nhost: x\r\n\r\n" + "\x00".repeat(64)));
  const buffer = new Uint8Array(4096);
  // The server answers with at most a GOAWAY and ends the connection.
  const closed = (async () => {
    try {
      while ((await conn.read(buffer)) !== null) { /* drain */ }
    } catch { /* reset */ }
    return true;
  })();
  const timeout = new Promise((resolve) => setTimeout(() => resolve(false), 5_000));
  assert.equal(await Promise.race([closed, timeout]), true, "the connection was not closed");
  conn.close();
  const ok = await call(f.client, "/test.Echo/Echo", frame(bytes("fine"))).result;
  assert.deepEqual(ok.body, frame(bytes("echo:fine")));
});

layerTest(
  "a watch stream gets its message and stays open until the server closes",
  async (layer) => {
    await using f = await fixture(layer);
    const { result, stream } = call(f.client, "/test.Echo/Watch", frame(bytes("w")));
    const first = await new Promise<Uint8Array>((resolve) => stream.once("data", resolve));
    assert.deepEqual(first, frame(bytes("echo:w")));
    const open = await Promise.race([
      result.then(() => false),
      new Promise((resolve) => setTimeout(() => resolve(true), 100)),
    ]);
    assert.equal(open, true);
    await f.server.close(100);
    assert.equal((await result).trailers["grpc-status"], "0");
  },
);

Deno.test("grpc-timeout and grpc-message encodings", () => {
  assert.equal(parseTimeout("2S"), 2_000);
  assert.equal(parseTimeout("100m"), 100);
  assert.equal(parseTimeout("1H"), 3_600_000);
  assert.equal(parseTimeout("5000u"), 5);
  assert.equal(parseTimeout("123456789S"), Infinity);
  assert.equal(parseTimeout("1x"), Infinity);
  assert.equal(parseTimeout(undefined), Infinity);
  assert.equal(encodeMessage("a b%c\né"), "a b%25c%0A%C3%A9");
});
