/**
 * apigw's HTTP/2 layer under hostile clients, over real sockets: a raw TCP client sends each
 * attack (rapid reset, CONTINUATION and HPACK bombs, SETTINGS/PING/empty DATA floods, window
 * overflows, frames on idle or closed streams, bad prefaces and oversized frames, …) and the test
 * asserts the limit answers it (GOAWAY with its code, RST_STREAM, 431, a refused stream), then a
 * call on a new connection from an independent client (node:http2) still works.
 */
import assert from "node:assert/strict";
import { createLogger } from "../../../lib/log.ts";
import { startUnaryServer, type UnaryMethod, type UnaryServer } from "../unary_server.ts";
import {
  assertServes,
  ERROR,
  FLAG,
  frame,
  headers,
  message,
  PREFACE,
  RawClient,
  requestBlock,
  rst,
  settingsFrame,
  TYPE,
  wordsFrame,
} from "./_testing.ts";
import type { ConnectionLimits } from "./limits.ts";

const text = new TextDecoder();
const bytes = (value: string) => new TextEncoder().encode(value);

async function fixture(limits: Partial<ConnectionLimits> = {}) {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  let slowCalls = 0;
  const echo: UnaryMethod = {
    decode: (data) => text.decode(data),
    encode: (value) => bytes(String(value)),
    handle: (request) => ({ ok: true, message: `echo:${request}` }),
  };
  const server: UnaryServer = await startUnaryServer({
    hostname: "127.0.0.1",
    port: 0,
    methods: new Map<string, UnaryMethod>([
      ["/test.Echo/Echo", echo],
      ["/test.Echo/Slow", {
        ...echo,
        handle: () => {
          slowCalls++;
          return released.then(() => ({ ok: true as const, message: "late" }));
        },
      }],
    ]),
    maxMessageBytes: 1024,
    http2Limits: limits,
    log: createLogger({ level: "error", write: () => {} }),
  });
  return {
    port: server.port,
    server,
    release,
    slowCalls: () => slowCalls,
    async [Symbol.asyncDispose]() {
      release();
      await server.close(100);
    },
  };
}

/** Sends the attack, expects GOAWAY with `code` and the connection closed. */
async function assertGoaway(
  port: number,
  code: number,
  attack: (client: RawClient) => Promise<unknown>,
  handshake = true,
) {
  using client = await RawClient.connect(port, handshake);
  await attack(client);
  const away = await client.goaway();
  assert.ok(away !== undefined, "no GOAWAY");
  assert.equal(away.code, code, `GOAWAY ${away.code} (${away.debug}), expected ${code}`);
  assert.equal(away.closed, true, "the connection stayed open");
}

const ECHO = requestBlock("/test.Echo/Echo");
const SLOW = requestBlock("/test.Echo/Slow");
function many<T>(n: number, make: (i: number) => T): T[] {
  return Array.from({ length: n }, (_, i) => make(i));
}
const ping = frame(TYPE.PING, 0, 0, new Uint8Array(8));

Deno.test("h2 connection errors: each attack gets its GOAWAY and the server keeps serving", async (t) => {
  await using f = await fixture();
  const cases: {
    name: string;
    code: number;
    handshake?: boolean;
    attack(c: RawClient): Promise<unknown>;
  }[] = [
    {
      name: "an HTTP/1.1 request instead of the preface",
      code: ERROR.PROTOCOL_ERROR,
      handshake: false,
      attack: (c) => c.send(bytes("GET / HTTP/1.1\r\nhost: x\r\n\r\n")),
    },
    {
      name: "a first frame that is not SETTINGS",
      code: ERROR.PROTOCOL_ERROR,
      handshake: false,
      attack: (c) => c.send(PREFACE, ping),
    },
    {
      name: "a frame over SETTINGS_MAX_FRAME_SIZE, refused at its header",
      code: ERROR.FRAME_SIZE_ERROR,
      attack: (c) =>
        c.send(headers(1, ECHO), new Uint8Array([0x01, 0x00, 0x00, TYPE.DATA, 0, 0, 0, 0, 1])),
    },
    {
      name: "rapid reset: HEADERS then RST_STREAM, 2000 times",
      code: ERROR.ENHANCE_YOUR_CALM,
      attack: (c) =>
        c.send(...many(2000, (i) => [headers(2 * i + 1, ECHO), rst(2 * i + 1)]).flat()),
    },
    {
      name: "a CONTINUATION flood without END_HEADERS",
      code: ERROR.ENHANCE_YOUR_CALM,
      attack: async (c) => {
        await c.send(frame(TYPE.HEADERS, 0, 1, ECHO));
        const chunk = frame(TYPE.CONTINUATION, 0, 1, new Uint8Array(1000).fill(0x40));
        for (let i = 0; i < 200; i++) if (!await c.send(chunk)) return;
      },
    },
    {
      name: "empty CONTINUATION frames without end",
      code: ERROR.ENHANCE_YOUR_CALM,
      attack: (c) =>
        c.send(
          frame(TYPE.HEADERS, 0, 1, ECHO),
          ...many(5000, () => frame(TYPE.CONTINUATION, 0, 1)),
        ),
    },
    {
      name: "a frame between HEADERS and its CONTINUATION",
      code: ERROR.PROTOCOL_ERROR,
      attack: (c) => c.send(frame(TYPE.HEADERS, 0, 1, ECHO), ping),
    },
    {
      name: "an HPACK table size update above SETTINGS_HEADER_TABLE_SIZE",
      code: ERROR.COMPRESSION_ERROR,
      attack: (c) => c.send(headers(1, new Uint8Array([0x3f, 0xe1, 0xff, 0x03, ...ECHO]))),
    },
    {
      name: "an HPACK index past the dynamic table",
      code: ERROR.COMPRESSION_ERROR,
      attack: (c) => c.send(headers(1, new Uint8Array([0xff, 0x80, 0x01]))),
    },
    {
      name: "an HPACK integer of endless continuation bytes",
      code: ERROR.COMPRESSION_ERROR,
      attack: (c) => c.send(headers(1, new Uint8Array([0xff, ...new Array(16).fill(0xff), 0x01]))),
    },
    {
      name: "a Huffman string holding EOS",
      code: ERROR.COMPRESSION_ERROR,
      attack: (c) =>
        c.send(headers(1, new Uint8Array([0x40, 0x84, 0xff, 0xff, 0xff, 0xff, 0x01, 0x61]))),
    },
    {
      name: "a Huffman string padded with zero bits",
      code: ERROR.COMPRESSION_ERROR,
      // "a" is 00011 (5 bits); the padding must be 1 bits.
      attack: (c) => c.send(headers(1, new Uint8Array([0x40, 0x81, 0x18, 0x01, 0x61]))),
    },
    {
      name: "a SETTINGS flood",
      code: ERROR.ENHANCE_YOUR_CALM,
      attack: (c) => c.send(...many(2000, () => settingsFrame([[0x4, 65535]]))),
    },
    {
      name: "a PING flood",
      code: ERROR.ENHANCE_YOUR_CALM,
      attack: (c) => c.send(...many(2000, () => ping)),
    },
    {
      name: "a zero-length DATA flood",
      code: ERROR.ENHANCE_YOUR_CALM,
      attack: (c) => c.send(headers(1, ECHO), ...many(2000, () => frame(TYPE.DATA, 0, 1))),
    },
    {
      name: "a WINDOW_UPDATE overflowing the connection window",
      code: ERROR.FLOW_CONTROL_ERROR,
      attack: (c) => c.send(wordsFrame(TYPE.WINDOW_UPDATE, 0, 0, [2 ** 31 - 1])),
    },
    {
      name: "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1",
      code: ERROR.FLOW_CONTROL_ERROR,
      attack: (c) => c.send(settingsFrame([[0x4, 2 ** 31]])),
    },
    {
      name: "a WINDOW_UPDATE of 0 on the connection",
      code: ERROR.PROTOCOL_ERROR,
      attack: (c) => c.send(wordsFrame(TYPE.WINDOW_UPDATE, 0, 0, [0])),
    },
    {
      name: "DATA on an idle stream",
      code: ERROR.PROTOCOL_ERROR,
      attack: (c) => c.send(message(5, bytes("x"))),
    },
    {
      name: "RST_STREAM on an idle stream",
      code: ERROR.PROTOCOL_ERROR,
      attack: (c) => c.send(rst(7)),
    },
    {
      name: "HEADERS on a closed stream",
      code: ERROR.STREAM_CLOSED,
      attack: async (c) => {
        await c.send(headers(1, ECHO), message(1, bytes("a")));
        await c.until((f) => f.stream === 1 && (f.flags & FLAG.END_STREAM) !== 0);
        await c.send(headers(1, ECHO, true));
      },
    },
    {
      name: "a stream id lower than one already used",
      code: ERROR.STREAM_CLOSED,
      attack: (c) => c.send(headers(5, ECHO), headers(3, ECHO)),
    },
    {
      name: "HEADERS on an even (server) stream id",
      code: ERROR.PROTOCOL_ERROR,
      attack: (c) => c.send(headers(2, ECHO)),
    },
    {
      name: "padding as long as the frame",
      code: ERROR.PROTOCOL_ERROR,
      attack: (c) =>
        c.send(
          frame(TYPE.HEADERS, FLAG.END_HEADERS | FLAG.PADDED, 1, new Uint8Array([4, 0, 0, 0])),
        ),
    },
    {
      name: "PUSH_PROMISE from the client",
      code: ERROR.PROTOCOL_ERROR,
      attack: (c) => c.send(frame(TYPE.PUSH_PROMISE, FLAG.END_HEADERS, 1, new Uint8Array(4))),
    },
    {
      name: "SETTINGS_MAX_FRAME_SIZE below 16384",
      code: ERROR.PROTOCOL_ERROR,
      attack: (c) => c.send(settingsFrame([[0x5, 16383]])),
    },
    {
      name: "SETTINGS_ENABLE_PUSH of 2",
      code: ERROR.PROTOCOL_ERROR,
      attack: (c) => c.send(settingsFrame([[0x2, 2]])),
    },
    {
      name: "a SETTINGS ACK with a payload",
      code: ERROR.FRAME_SIZE_ERROR,
      attack: (c) => c.send(frame(TYPE.SETTINGS, FLAG.ACK, 0, new Uint8Array(6))),
    },
    {
      name: "SETTINGS on a stream",
      code: ERROR.PROTOCOL_ERROR,
      attack: (c) => c.send(frame(TYPE.SETTINGS, 0, 1)),
    },
    {
      name: "DATA padding as long as the frame",
      code: ERROR.PROTOCOL_ERROR,
      attack: (c) =>
        c.send(headers(1, ECHO), frame(TYPE.DATA, FLAG.PADDED, 1, new Uint8Array([3, 0, 0]))),
    },
    {
      name: "a flood of unknown frame types",
      code: ERROR.ENHANCE_YOUR_CALM,
      attack: (c) => c.send(...many(2000, () => frame(0x42, 0, 0, new Uint8Array(4)))),
    },
    {
      name: "a PRIORITY flood",
      code: ERROR.ENHANCE_YOUR_CALM,
      attack: (c) =>
        c.send(...many(2000, (i) => frame(TYPE.PRIORITY, 0, 2 * i + 1, new Uint8Array(5)))),
    },
    {
      name: "a WINDOW_UPDATE flood",
      code: ERROR.ENHANCE_YOUR_CALM,
      attack: (c) => c.send(...many(2000, () => wordsFrame(TYPE.WINDOW_UPDATE, 0, 0, [1]))),
    },
    {
      name: "a PING of 9 bytes",
      code: ERROR.FRAME_SIZE_ERROR,
      attack: (c) => c.send(frame(TYPE.PING, 0, 0, new Uint8Array(9))),
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, async () => {
      await assertGoaway(f.port, tc.code, tc.attack, tc.handshake ?? true);
      await assertServes(f.port);
    });
  }
});

Deno.test("h2 HPACK bomb: a header list over SETTINGS_MAX_HEADER_LIST_SIZE gets 431 and the table stays in step", async () => {
  await using f = await fixture();
  using c = await RawClient.connect(f.port);
  // One 4000-byte value indexed into the dynamic table, then referenced 8 times: 32 KB decoded.
  const value = "v".repeat(4000);
  const insert = new Uint8Array([0x40, 0x01, 0x78, 0x7f, 0x80 + 0x21, 0x1e, ...bytes(value)]);
  await c.send(headers(1, new Uint8Array([...ECHO, ...insert]), true));
  const first = (await c.until((f) => f.stream === 1 && f.type === TYPE.HEADERS)).at(-1)!;
  assert.equal(c.fields(first.payload).get(":status"), "200"); // 4 KB: within the limit
  await c.send(headers(3, new Uint8Array([...ECHO, ...new Array(8).fill(0xbe)]), true));
  const second = (await c.until((f) => f.stream === 3 && f.type === TYPE.HEADERS)).at(-1)!;
  assert.equal(c.fields(second.payload).get(":status"), "431");
  // The connection and its HPACK table are still good: index 62 is still the 4000-byte entry.
  await c.send(headers(5, new Uint8Array([...ECHO, 0xbe])), message(5, bytes("still")));
  const answer = await c.until((f) => f.stream === 5 && f.type === TYPE.DATA);
  assert.equal(text.decode(answer.at(-1)!.payload.subarray(5)), "echo:still");
  await assertServes(f.port);
});

Deno.test("h2 streams: malformed request headers are a stream error, the connection goes on", async (t) => {
  await using f = await fixture();
  using c = await RawClient.connect(f.port);
  const malformed: [string, Uint8Array][] = [
    ["an uppercase name", requestBlock("/test.Echo/Echo", [["X-Upper", "1"]])],
    ["a connection-specific field", requestBlock("/test.Echo/Echo", [["connection", "close"]])],
    ["te other than trailers", requestBlock("/test.Echo/Echo", [["te", "gzip"]])],
    ["a value with a line feed", requestBlock("/test.Echo/Echo", [["x-a", "1\n2"]])],
    ["an unknown pseudo-header", requestBlock("/test.Echo/Echo", [[":protocol", "x"]])],
    ["no :path", new Uint8Array([0x83, 0x86])],
  ];
  let id = 1;
  for (const [name, block] of malformed) {
    await t.step(name, async () => {
      const stream = id;
      id += 2;
      await c.send(headers(stream, block, true));
      const got = (await c.until((f) => f.stream === stream)).at(-1);
      assert.equal(got?.type, TYPE.RST_STREAM);
      assert.equal(new DataView(got!.payload.buffer).getUint32(0), ERROR.PROTOCOL_ERROR);
    });
  }
  // Request trailers end a request as END_STREAM on DATA does.
  await c.send(
    headers(id, ECHO),
    message(id, bytes("trailed"), false),
    headers(id, new Uint8Array([0x40, 1, 0x78, 1, 0x79]), true),
  );
  const trailed = await c.until((f) => f.stream === id && f.type === TYPE.DATA);
  assert.equal(text.decode(trailed.at(-1)!.payload.subarray(5)), "echo:trailed");
  id += 2;
  // DATA after the request ended is that stream's STREAM_CLOSED.
  await c.send(headers(id, SLOW, false), message(id, bytes("x")), message(id, bytes("y")));
  const closed = (await c.until((f) => f.stream === id)).at(-1);
  assert.equal(closed?.type, TYPE.RST_STREAM);
  assert.equal(new DataView(closed!.payload.buffer).getUint32(0), ERROR.STREAM_CLOSED);
  id += 2;
  await c.send(headers(id, ECHO), message(id, bytes("after")));
  const answer = await c.until((f) => f.stream === id && f.type === TYPE.DATA);
  assert.equal(text.decode(answer.at(-1)!.payload.subarray(5)), "echo:after");
  await assertServes(f.port);
});

Deno.test("h2 streams: past SETTINGS_MAX_CONCURRENT_STREAMS a stream is refused, reset streams still working count", async () => {
  await using f = await fixture({ maxConcurrentStreams: 10 });
  using c = await RawClient.connect(f.port);
  // Ten calls whose answers wait, each reset by the client at once: their work goes on.
  await c.send(
    ...many(10, (i) => [headers(2 * i + 1, SLOW), message(2 * i + 1, bytes("x")), rst(2 * i + 1)])
      .flat(),
  );
  await c.send(headers(21, SLOW), message(21, bytes("x")));
  const got = (await c.until((f) => f.stream === 21)).at(-1);
  assert.equal(got?.type, TYPE.RST_STREAM);
  assert.equal(new DataView(got!.payload.buffer).getUint32(0), ERROR.REFUSED_STREAM);
  assert.equal(f.slowCalls(), 10);
  await assertServes(f.port);
});

Deno.test("h2 flow control: the answer waits for the client's window and respects it", async () => {
  await using f = await fixture();
  using c = await RawClient.connect(f.port, false);
  await c.send(PREFACE, settingsFrame([[0x4, 3]])); // a stream window of 3 bytes
  await c.send(headers(1, ECHO), message(1, bytes("flow")));
  const before = await c.until((f) => f.stream === 1 && f.type === TYPE.DATA, 300);
  const data = before.filter((f) => f.stream === 1 && f.type === TYPE.DATA);
  assert.deepEqual(data.map((f) => f.payload.length), [3]);
  await c.send(wordsFrame(TYPE.WINDOW_UPDATE, 0, 1, [100]));
  const after = await c.until((f) => f.stream === 1 && (f.flags & FLAG.END_STREAM) !== 0);
  const rest = after.filter((f) => f.type === TYPE.DATA).map((f) => f.payload);
  assert.equal(
    text.decode(new Uint8Array([...data[0]!.payload, ...rest.flatMap((p) => [...p])]).subarray(5)),
    "echo:flow",
  );
  // A stream WINDOW_UPDATE past 2^31-1 is that stream's FLOW_CONTROL_ERROR.
  await c.send(headers(3, SLOW), wordsFrame(TYPE.WINDOW_UPDATE, 0, 3, [2 ** 31 - 1]));
  const reset = (await c.until((f) => f.stream === 3)).at(-1);
  assert.equal(reset?.type, TYPE.RST_STREAM);
  assert.equal(new DataView(reset!.payload.buffer).getUint32(0), ERROR.FLOW_CONTROL_ERROR);
  await assertServes(f.port);
});

Deno.test("h2 timeouts: a silent connection is closed after the handshake timeout, an idle one drained", async () => {
  await using f = await fixture({ handshakeTimeoutMs: 200, idleTimeoutMs: 300 });
  {
    using silent = await RawClient.connect(f.port, false);
    const away = await silent.goaway(3_000);
    assert.equal(away?.code, ERROR.SETTINGS_TIMEOUT);
  }
  using idle = await RawClient.connect(f.port);
  await idle.send(frame(TYPE.SETTINGS, FLAG.ACK, 0));
  const away = await idle.goaway(3_000);
  assert.equal(away?.code, ERROR.NO_ERROR);
  await assertServes(f.port);
});

Deno.test("h2 timeouts: a request that never finishes arriving is reset (slowloris)", async () => {
  await using f = await fixture({ requestTimeoutMs: 200 });
  using c = await RawClient.connect(f.port);
  await c.send(
    frame(TYPE.SETTINGS, FLAG.ACK, 0),
    headers(1, ECHO),
    frame(TYPE.DATA, 0, 1, new Uint8Array([0, 0, 0, 0, 9])),
  );
  const started = performance.now();
  const got = (await c.until((f) => f.stream === 1, 3_000)).at(-1);
  assert.equal(got?.type, TYPE.RST_STREAM);
  assert.equal(new DataView(got!.payload.buffer).getUint32(0), ERROR.CANCEL);
  assert.ok(performance.now() - started < 2_000);
  // The connection itself still serves.
  await c.send(headers(3, ECHO), message(3, bytes("later")));
  const answer = await c.until((f) => f.stream === 3 && f.type === TYPE.DATA);
  assert.equal(text.decode(answer.at(-1)!.payload.subarray(5)), "echo:later");
  await assertServes(f.port);
});

Deno.test("h2 connections: past maxConnections a new connection is closed, a freed slot serves again", async () => {
  const server = await startUnaryServer({
    hostname: "127.0.0.1",
    port: 0,
    methods: new Map<string, UnaryMethod>([["/test.Echo/Echo", {
      decode: (data) => text.decode(data),
      encode: (value) => bytes(String(value)),
      handle: (request) => ({ ok: true, message: `echo:${request}` }),
    }]]),
    maxMessageBytes: 1024,
    maxConnections: 2,
    log: createLogger({ level: "error", write: () => {} }),
  });
  try {
    const held = [await RawClient.connect(server.port), await RawClient.connect(server.port)];
    // Both held connections got the server's SETTINGS: they are served.
    for (const c of held) assert.equal((await c.next())?.type, TYPE.SETTINGS);
    using third = await RawClient.connect(server.port);
    assert.equal(await third.next(2_000), undefined, "the third connection was served");
    for (const c of held) c.close();
    const deadline = performance.now() + 5_000;
    for (;;) {
      try {
        await assertServes(server.port);
        break;
      } catch (error) {
        if (performance.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } finally {
    await server.close(100);
  }
});

Deno.test("h2 drain: close() sends GOAWAY NO_ERROR, lets a running call finish, then ends the connection", async () => {
  await using f = await fixture();
  using c = await RawClient.connect(f.port);
  await c.send(frame(TYPE.SETTINGS, FLAG.ACK, 0), headers(1, SLOW), message(1, bytes("x")));
  for (const deadline = performance.now() + 5_000; f.slowCalls() === 0;) {
    assert.ok(performance.now() < deadline, "the call did not start");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const closed = f.server.close(5_000);
  const first = (await c.until((f) => f.type === TYPE.GOAWAY)).at(-1);
  assert.equal(first?.type, TYPE.GOAWAY);
  assert.deepEqual(
    [
      new DataView(first!.payload.buffer).getUint32(0),
      new DataView(first!.payload.buffer).getUint32(4),
    ],
    [2 ** 31 - 1, ERROR.NO_ERROR],
  );
  f.release();
  const rest = await c.until(() => false, 5_000); // until the server closes
  const trailers = rest.find((f) => f.stream === 1 && (f.flags & FLAG.END_STREAM) !== 0);
  assert.ok(trailers !== undefined, "the running call got no answer");
  assert.equal(c.fields(trailers.payload).get("grpc-status"), "0");
  const last = rest.filter((f) => f.type === TYPE.GOAWAY).at(-1);
  assert.equal(last && new DataView(last.payload.buffer).getUint32(0), 1);
  await closed;
});
