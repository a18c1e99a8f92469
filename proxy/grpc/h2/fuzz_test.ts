/**
 * Random frame sequences against the HTTP/2 layer over real sockets: whatever a connection gets
 * (frames of any type, flags, stream and payload, random HPACK blocks, valid calls among them),
 * the server answers it or ends it, never logs a bug of its own, and keeps serving new
 * connections. The seed is printed; `H2_FUZZ_SEED=N` replays a run.
 */
import assert from "node:assert/strict";
import { createLogger } from "../../../lib/log.ts";
import { startUnaryServer, type UnaryMethod } from "../unary_server.ts";
import { FLAG, frame, headers, message, RawClient, requestBlock, TYPE } from "./_testing.ts";

const CONNECTIONS = Number(Deno.env.get("H2_FUZZ_CONNECTIONS") ?? 300);

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("h2 fuzz: random frames never break the server", async () => {
  const seed = Number(Deno.env.get("H2_FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`H2_FUZZ_SEED=${seed}`);
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
  const errors: string[] = [];
  const echo: UnaryMethod = {
    decode: (data) => new TextDecoder().decode(data),
    encode: (value) => new TextEncoder().encode(String(value)),
    handle: (request) => ({ ok: true, message: `echo:${request}` }),
  };
  const server = await startUnaryServer({
    hostname: "127.0.0.1",
    port: 0,
    methods: new Map([["/test.Echo/Echo", echo]]),
    maxMessageBytes: 1024,
    log: createLogger({
      level: "error",
      write: (line) => errors.push(line),
    }),
  });
  const ECHO = requestBlock("/test.Echo/Echo");
  const streams = [0, 1, 2, 3, 5, 7, 2 ** 31 - 1];
  try {
    for (let i = 0; i < CONNECTIONS; i++) {
      using c = await RawClient.connect(server.port);
      const frames: Uint8Array[] = [];
      const count = 1 + Math.floor(next() * 12);
      for (let j = 0; j < count; j++) {
        const kind = next();
        const stream = pick(streams);
        if (kind < 0.2) frames.push(headers(stream, ECHO, next() < 0.3));
        else if (kind < 0.35) {
          frames.push(message(stream, bytes(Math.floor(next() * 8)), next() < 0.7));
        } else if (kind < 0.5) {
          // A random HPACK block, maybe after a valid prefix.
          const block = next() < 0.5
            ? bytes(Math.floor(next() * 40))
            : new Uint8Array([...ECHO, ...bytes(6)]);
          frames.push(frame(TYPE.HEADERS, Math.floor(next() * 256), stream, block));
        } else {
          frames.push(
            frame(
              Math.floor(next() * 11),
              Math.floor(next() * 256),
              stream,
              bytes(Math.floor(next() * 24)),
            ),
          );
        }
      }
      await c.send(...frames, frame(TYPE.PING, 0, 0, new Uint8Array(8).fill(7)));
      // The server either answers the PING (the connection lives) or ends the connection.
      const seen = await c.until(
        (f) => f.type === TYPE.PING && (f.flags & FLAG.ACK) !== 0 || f.type === TYPE.GOAWAY,
        3_000,
      );
      const last = seen.at(-1);
      assert.ok(
        last?.type === TYPE.PING || last?.type === TYPE.GOAWAY,
        `connection ${i} got neither a PING ACK nor GOAWAY within 3 s (seed ${seed})`,
      );
    }
    assert.deepEqual(errors, [], `seed ${seed}`);
    using c = await RawClient.connect(server.port);
    await c.send(headers(1, ECHO), message(1, new TextEncoder().encode("alive")));
    const answer = await c.until((f) => f.stream === 1 && f.type === TYPE.DATA);
    assert.equal(new TextDecoder().decode(answer.at(-1)!.payload.subarray(5)), "echo:alive");
  } finally {
    await server.close(100);
  }
});
