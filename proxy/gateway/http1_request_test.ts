import assert from "node:assert/strict";
import { REPLAY_CAP_BYTES, ReplayableBody, requestHead } from "./http1_request.ts";
import { ConnectionFailed, Pool } from "./http1_socket.ts";

/** A listener collecting each accepted connection's bytes until it closes. */
async function collecting(fn: (port: number, received: Promise<string>[]) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received: Promise<string>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      received.push(new Response(conn.readable).text());
    }
  })();
  try {
    await fn(listener.addr.port, received);
  } finally {
    listener.close();
    await accepting;
    await Promise.all(received);
  }
}

const text = (value: string) => new TextEncoder().encode(value);

Deno.test("ReplayableBody writes a body again after a failed write", async (t) => {
  await collecting(async (port, received) => {
    const pool = new Pool();
    const upstream = { hostname: "127.0.0.1", port };
    try {
      await t.step("a small body is replayed whole, kept chunks first", async () => {
        const body = new ReplayableBody(ReadableStream.from([text("ab"), text("cd"), text("e")]));
        const broken = await pool.connect(upstream);
        pool.discard(broken); // every write on it fails now
        await assert.rejects(
          body.writeTo(broken, 5),
          (error) => error instanceof ConnectionFailed && error.phase === "write",
        );
        assert.equal(body.replayable, true);
        const fresh = await pool.connect(upstream);
        await body.writeTo(fresh, 5);
        pool.discard(fresh);
        assert.equal(await received[1], "abcde");
      });
      await t.step("a body over the cap is not replayable", async () => {
        const big = new Uint8Array(REPLAY_CAP_BYTES + 1);
        const body = new ReplayableBody(ReadableStream.from([big]));
        const broken = await pool.connect(upstream);
        pool.discard(broken);
        await assert.rejects(body.writeTo(broken, big.length), ConnectionFailed);
        assert.equal(body.replayable, false);
      });
      await t.step("chunked framing and a source longer than its length", async () => {
        const socket = await pool.connect(upstream);
        await new ReplayableBody(ReadableStream.from([text("abc")])).writeTo(socket, undefined);
        await assert.rejects(
          new ReplayableBody(ReadableStream.from([text("abc")])).writeTo(socket, 2),
          RangeError,
        );
        pool.discard(socket);
        // Nothing past the declared length is written.
        assert.equal(await received[3], "3\r\nabc\r\n0\r\n\r\n");
      });
    } finally {
      pool.close();
    }
  });
});

Deno.test("requestHead() drops the fields Connection nominates and writes Latin-1", () => {
  const head = requestHead({
    method: "GET",
    target: "/x",
    host: "127.0.0.1:80",
    headers: new Headers({ connection: "x-hop", "x-hop": "1", "x-name": "caf\u00e9" }),
    framing: "none",
  });
  assert.deepEqual(
    head,
    Uint8Array.from(
      "GET /x HTTP/1.1\r\nhost: 127.0.0.1:80\r\nx-name: caf\u00e9\r\n\r\n",
      (c) => c.charCodeAt(0),
    ),
  );
});
