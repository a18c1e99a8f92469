/**
 * apigw's HTTP/2 layer against clients that do not take their answers, over real sockets: one
 * that never opens its flow-control windows (the server's send window stays 0) and one that stops
 * reading the TCP socket (the kernel's buffers fill, the server's writes wait). The server holds
 * a bounded amount for them and then ends what they hold, per its limits (`maxQueuedSendBytes`,
 * `writeTimeoutMs`), while a client on another connection is answered all along. Deadlines are
 * generous (seconds): the machine may be busy.
 */
import assert from "node:assert/strict";
import { createLogger } from "../../../lib/log.ts";
import { startUnaryServer, type UnaryMethod } from "../unary_server.ts";
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
  settingsFrame,
  TYPE,
  wordsFrame,
} from "./_testing.ts";
import { SETTING } from "./frames.ts";
import type { ConnectionLimits } from "./limits.ts";

const text = new TextDecoder();
const bytes = (value: string) => new TextEncoder().encode(value);
const BIG = requestBlock("/test.Echo/Big");

/** A server whose `/test.Echo/Big` answers as many bytes as its request names. */
async function fixture(limits: Partial<ConnectionLimits>) {
  const echo: UnaryMethod = {
    decode: (data) => text.decode(data),
    encode: (value) => bytes(String(value)),
    handle: (request) => ({ ok: true, message: `echo:${request}` }),
  };
  const big: UnaryMethod = {
    decode: (data) => Number(text.decode(data)),
    encode: (value) => new Uint8Array(Number(value)).fill(0x78),
    handle: (request) => ({ ok: true, message: request }),
  };
  const server = await startUnaryServer({
    hostname: "127.0.0.1",
    port: 0,
    methods: new Map([["/test.Echo/Echo", echo], ["/test.Echo/Big", big]]),
    maxMessageBytes: 1024 * 1024,
    http2Limits: limits,
    log: createLogger({ level: "error", write: () => {} }),
  });
  return {
    port: server.port,
    async [Symbol.asyncDispose]() {
      await server.close(100);
    },
  };
}

/** A raw connection whose SETTINGS give every stream a send window of `window` bytes. */
async function connectWithWindow(port: number, window: number): Promise<RawClient> {
  const c = await RawClient.connect(port, false);
  await c.send(
    PREFACE,
    settingsFrame([[SETTING.INITIAL_WINDOW_SIZE, window]]),
    frame(TYPE.SETTINGS, FLAG.ACK, 0),
  );
  return c;
}

/** Calls `/test.Echo/Big` for `size` bytes on each of `streams`. */
function bigCalls(streams: number[], size: number): Uint8Array[] {
  return streams.flatMap((id) => [headers(id, BIG), message(id, bytes(String(size)))]);
}

const odd = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + 2 * i);

Deno.test("h2 slow reader: answers a client's shut windows hold stay under maxQueuedSendBytes, then GOAWAY ENHANCE_YOUR_CALM", async () => {
  await using f = await fixture({ maxQueuedSendBytes: 256 * 1024 });
  using c = await connectWithWindow(f.port, 0);
  // Ten 16 KiB answers (160 KiB) wait for windows that never open: held, not sent, no GOAWAY.
  await c.send(...bigCalls(odd(1, 10), 16 * 1024));
  const first = await c.until((fr) => fr.type === TYPE.HEADERS && fr.stream === 19, 10_000);
  assert.equal(first.filter((fr) => fr.type === TYPE.HEADERS).length, 10);
  assert.deepEqual(first.filter((fr) => fr.type === TYPE.DATA || fr.type === TYPE.GOAWAY), []);
  // Another client is answered meanwhile.
  await assertServes(f.port);
  // Ten more would hold 320 KiB: past the cap the connection ends.
  await c.send(...bigCalls(odd(21, 10), 16 * 1024));
  const away = await c.goaway(10_000);
  assert.equal(away?.code, ERROR.ENHANCE_YOUR_CALM, `GOAWAY ${away?.code} (${away?.debug})`);
  assert.equal(away?.closed, true);
  await assertServes(f.port);
});

Deno.test("h2 slow reader: an answer a client's shut windows hold longer than writeTimeoutMs is reset (CANCEL)", async () => {
  await using f = await fixture({ writeTimeoutMs: 1_000 });
  using c = await connectWithWindow(f.port, 0);
  await c.send(...bigCalls([1, 3, 5], 16 * 1024));
  const frames = await c.until((fr) => fr.type === TYPE.RST_STREAM && fr.stream === 5, 15_000);
  const resets = frames.filter((fr) => fr.type === TYPE.RST_STREAM);
  assert.deepEqual(resets.map((fr) => fr.stream), [1, 3, 5], "the held answers were not reset");
  for (const reset of resets) {
    assert.equal(new DataView(reset.payload.buffer).getUint32(0), ERROR.CANCEL);
  }
  assert.deepEqual(frames.filter((fr) => fr.type === TYPE.DATA), []);
  // The connection goes on: a new call is taken and answered as far as the windows allow.
  await c.send(...bigCalls([7], 1));
  const again = await c.until((fr) => fr.stream === 7 && fr.type === TYPE.HEADERS, 10_000);
  assert.equal(again.at(-1)?.type, TYPE.HEADERS);
  await assertServes(f.port);
});

Deno.test("h2 slow reader: a client that stops reading its socket is stopped being read, then closed after writeTimeoutMs", async () => {
  await using f = await fixture({ writeTimeoutMs: 2_000 });
  using c = await RawClient.connect(f.port, false);
  // Windows wide open: only the socket holds the answers back.
  await c.send(
    PREFACE,
    settingsFrame([[SETTING.INITIAL_WINDOW_SIZE, 2 ** 31 - 1]]),
    wordsFrame(TYPE.WINDOW_UPDATE, 0, 0, [2 ** 31 - 1 - 65_535]),
    frame(TYPE.SETTINGS, FLAG.ACK, 0),
  );
  const size = 256 * 1024;
  const baseline = memory();
  let peak = baseline;
  let asked = 0;
  let served = false;
  const started = performance.now();
  // One call for 256 KiB every 50 ms, never reading; the server ends the connection once its
  // writes have waited writeTimeoutMs, and a write of ours then fails.
  for (let id = 1;; id += 2) {
    assert.ok(performance.now() - started < 60_000, "the connection stayed open for 60 s");
    if (!await c.send(...bigCalls([id], size))) break;
    asked += size;
    peak = Math.max(peak, memory());
    if (!served && asked >= 2 * 1024 * 1024) {
      await assertServes(f.port); // another connection is answered while this one is stuck
      served = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(served, "the server closed the connection before another client was served");
  // Kernel buffers hold a few MiB; what the server holds is bounded by its read stop (256 KiB
  // unwritten) and maxQueuedSendBytes (4 MiB): far below what was asked for.
  assert.ok(
    peak - baseline < Math.max(64 * 1024 * 1024, asked / 2),
    `memory grew by ${peak - baseline} bytes for ${asked} bytes asked for`,
  );
  await assertServes(f.port);
});

/** The process's JS heap and array buffers, in bytes. */
function memory(): number {
  const usage = Deno.memoryUsage();
  return usage.heapUsed + usage.external;
}
