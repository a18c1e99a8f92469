import assert from "node:assert/strict";
import { poll } from "../../tests/poll.ts";
import { createHttp1Client, type Http1Request } from "./http1_client.ts";

/** A TCP server answering each request head with the next scripted raw response. */
async function scripted(
  answers: ((request: string) => string | null)[],
  fn: (port: number, heads: string[], accepted: () => number) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  const conns = new Set<Deno.Conn>();
  let accepted = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      conns.add(conn);
      (async () => {
        const buffer = new Uint8Array(65536);
        let text = "";
        while (true) {
          const n = await conn.read(buffer).catch(() => null);
          if (n === null) break;
          text += new TextDecoder().decode(buffer.subarray(0, n));
          const end = text.indexOf("\r\n\r\n");
          if (end === -1) continue;
          const complete = /transfer-encoding: chunked/.test(text)
            ? text.endsWith("0\r\n\r\n")
            : true;
          if (!complete) continue;
          heads.push(text);
          const answer = answers.shift()?.(text);
          text = "";
          if (answer === null || answer === undefined) {
            conn.close();
            conns.delete(conn);
            return;
          }
          await conn.write(new TextEncoder().encode(answer));
          if (/connection: close/.test(answer)) {
            conn.close();
            conns.delete(conn);
            return;
          }
        }
      })();
    }
  })();
  try {
    await fn(listener.addr.port, heads, () => accepted);
  } finally {
    listener.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    await serving;
  }
}

const GET = (signal = new AbortController().signal) => ({
  method: "GET",
  target: "/a?b=1",
  headers: new Headers({ "x-one": "1", connection: "x-one" }),
  body: null,
  signal,
});

Deno.test("createHttp1Client() reads length, chunked and until-close bodies", async (t) => {
  const client = createHttp1Client();
  try {
    await scripted([
      () => "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-a: b\r\n\r\nhello",
      () =>
        "HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nt: 1\r\n\r\n",
      () => "HTTP/1.1 204 No Content\r\n\r\n",
      () => "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nrest of it",
    ], async (port, heads) => {
      const upstream = { hostname: "127.0.0.1", port };
      await t.step("content-length", async () => {
        const response = await client.request(upstream, GET());
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-a"), "b");
        assert.equal(await response.text(), "hello");
        assert.match(heads[0]!, /^GET \/a\?b=1 HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\n/);
        assert.doesNotMatch(heads[0]!, /^connection:/m, "hop-by-hop headers are not copied");
      });
      await t.step("chunked, on the reused connection", async () => {
        const response = await client.request(upstream, GET());
        assert.equal(response.status, 201);
        assert.equal(await response.text(), "abcde");
      });
      await t.step("204 has no body", async () => {
        const response = await client.request(upstream, GET());
        assert.equal(response.status, 204);
        assert.equal(response.body, null);
      });
      await t.step("until close", async () => {
        const response = await client.request(upstream, GET());
        assert.equal(await response.text(), "rest of it");
      });
    });
  } finally {
    client.close();
  }
});

Deno.test("createHttp1Client() retries once when a pooled connection was closed", async () => {
  const client = createHttp1Client();
  try {
    await scripted([
      () => "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
      () => null, // the upstream closes the idle connection without answering
      () => "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nagain",
    ], async (port) => {
      const upstream = { hostname: "127.0.0.1", port };
      assert.equal(await (await client.request(upstream, GET())).text(), "ok");
      assert.equal(await (await client.request(upstream, GET())).text(), "again");
    });
  } finally {
    client.close();
  }
});

Deno.test("createHttp1Client() sends bodies with their length or chunked", async () => {
  const client = createHttp1Client();
  try {
    await scripted([
      (head) => `HTTP/1.1 200 OK\r\ncontent-length: ${head.length}\r\n\r\n${head}`,
      (head) => `HTTP/1.1 200 OK\r\ncontent-length: ${head.length}\r\n\r\n${head}`,
    ], async (port) => {
      const upstream = { hostname: "127.0.0.1", port };
      const body = () =>
        ReadableStream.from([new TextEncoder().encode("ab"), new TextEncoder().encode("c")]);
      const sized = await client.request(upstream, {
        ...GET(),
        method: "POST",
        body: body(),
        contentLength: 3,
      });
      assert.match(await sized.text(), /content-length: 3\r\n\r\nabc$/);
      const chunked = await client.request(upstream, { ...GET(), method: "POST", body: body() });
      assert.match(
        await chunked.text(),
        /transfer-encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n$/,
      );
    });
  } finally {
    client.close();
  }
});

Deno.test("createHttp1Client() rejects broken framing and aborts on the signal", async (t) => {
  const client = createHttp1Client();
  try {
    await scripted([
      () => "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab",
      () => "NOT HTTP\r\n\r\n",
      () => "", // never answers
    ], async (port) => {
      const upstream = { hostname: "127.0.0.1", port };
      await t.step("two Content-Length values", async () => {
        await assert.rejects(client.request(upstream, GET()), /Content-Length/);
      });
      await t.step("an invalid status line", async () => {
        await assert.rejects(client.request(upstream, GET()), /status line/);
      });
      await t.step("abort", async () => {
        const abort = new AbortController();
        const pending = client.request(upstream, GET(abort.signal));
        setTimeout(() => abort.abort(), 50);
        await assert.rejects(pending);
      });
    });
  } finally {
    client.close();
  }
});

Deno.test("createHttp1Client() parses response framing strictly", async (t) => {
  const client = createHttp1Client();
  try {
    await scripted([
      () => "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2, 2\r\n\r\nok",
      () => "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
      () => "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
      () => "HTTP/1.1 200 OK\r\ncontent-length: +2\r\n\r\nok",
      () => "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2x\r\nok\r\n0\r\n\r\n",
      () => "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n",
      () => "HTTP/1.1 200 OK\r\nx-a: 1\r\n folded\r\ncontent-length: 0\r\n\r\n",
      () => "HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\n\r\n",
      () => "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nlast",
    ], async (port, _heads, accepted) => {
      const upstream = { hostname: "127.0.0.1", port };
      await t.step("identical lengths merge", async () => {
        assert.equal(await (await client.request(upstream, GET())).text(), "ok");
      });
      const cases: [string, RegExp][] = [
        ["Content-Length with Transfer-Encoding", /both Transfer-Encoding and Content-Length/],
        ["a coding other than chunked", /unsupported Transfer-Encoding/],
        ["a signed length", /invalid Content-Length/],
      ];
      for (const [name, error] of cases) {
        await t.step(name, async () => {
          await assert.rejects(client.request(upstream, GET()), error);
        });
      }
      for (const name of ["a chunk size with junk", "chunk data without its CRLF"]) {
        await t.step(name, async () => {
          const response = await client.request(upstream, GET());
          await assert.rejects(response.text(), /chunk/);
        });
      }
      await t.step("obs-fold and an unasked 101", async () => {
        await assert.rejects(client.request(upstream, GET()), /invalid header line/);
        await assert.rejects(client.request(upstream, GET()), /switched protocols/);
      });
      await t.step("no broken response left its connection in the pool", async () => {
        const before = accepted();
        assert.equal(await (await client.request(upstream, GET())).text(), "last");
        assert.equal(accepted(), before + 1);
      });
    });
  } finally {
    client.close();
  }
});

Deno.test("createHttp1Client() writes no header value it did not validate", async () => {
  const client = createHttp1Client();
  try {
    await scripted([], async (port, heads, accepted) => {
      const upstream = { hostname: "127.0.0.1", port };
      const bad: Partial<Http1Request>[] = [
        { headers: new Headers({ "x-a": "a\x01b" }) },
        { headers: new Headers({ "x-a": "a\x7fb" }) },
        { target: "/a b" },
        { target: "http://other/" },
        { method: "GE T" },
        { method: "POST", body: ReadableStream.from([new Uint8Array(1)]), contentLength: NaN },
        { method: "POST", body: ReadableStream.from([new Uint8Array(1)]), contentLength: -1 },
      ];
      for (const change of bad) {
        await assert.rejects(client.request(upstream, { ...GET(), ...change }), TypeError);
      }
      assert.equal(accepted(), 0);
      assert.deepEqual(heads, []);
    });
  } finally {
    client.close();
  }
});

Deno.test("createHttp1Client() pools for the upstream's keep-alive timeout minus 1 s", async (t) => {
  let now = 0;
  const client = createHttp1Client({ now: () => now, defaultIdleMs: 4_000 });
  const ok = (extra = "") => () => `HTTP/1.1 200 OK\r\n${extra}content-length: 2\r\n\r\nok`;
  try {
    await scripted(
      [
        ok(),
        ok(),
        ok(),
        ok("keep-alive: timeout=3\r\n"),
        ok(),
        ok(),
        ok("keep-alive: timeout=1\r\n"),
        ok(),
      ],
      async (port, _heads, accepted) => {
        const upstream = { hostname: "127.0.0.1", port };
        const send = async () => await (await client.request(upstream, GET())).text();
        await t.step("default idle time without Keep-Alive", async () => {
          await send();
          now += 3_999;
          await send();
          assert.equal(accepted(), 1, "reused within the default idle time");
          now += 4_000;
          await send();
          assert.equal(accepted(), 2, "evicted once the default idle time passed");
        });
        await t.step("Keep-Alive: timeout=3 evicts it after 2 s", async () => {
          await send(); // answers with timeout=3
          now += 2_001;
          await send();
          assert.equal(accepted(), 3);
          await send(); // a fresh answer without the header: default idle time
          assert.equal(accepted(), 3);
        });
        await t.step("Keep-Alive: timeout=1 is never pooled", async () => {
          await send(); // answers with timeout=1 on the pooled connection
          await send();
          assert.equal(accepted(), 4);
        });
      },
    );
  } finally {
    client.close();
  }
});

Deno.test("createHttp1Client() drops an idle connection the upstream closed or wrote on", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const upstream = { hostname: "127.0.0.1", port: listener.addr.port };
  const client = createHttp1Client();
  const ok = new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
  const evil = new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nevil");
  const buffer = new Uint8Array(4096);
  try {
    for (const after of ["close", "unasked bytes"] as const) {
      const pending = client.request(upstream, GET());
      const conn = await listener.accept();
      await conn.read(buffer);
      await conn.write(ok);
      assert.equal(await (await pending).text(), "ok");
      assert.equal(client.idle(upstream), 1);
      if (after === "close") conn.close();
      else await conn.write(evil);
      await poll(() => client.idle(upstream) === 0 ? true : undefined, { what: after });
      if (after !== "close") conn.close();
    }
    const pending = client.request(upstream, GET());
    const conn = await listener.accept();
    await conn.read(buffer);
    await conn.write(ok);
    assert.equal(await (await pending).text(), "ok", "answered on a new connection");
    conn.close();
  } finally {
    client.close();
    listener.close();
  }
});

Deno.test("createHttp1Client() replays a POST whose write failed, on a new connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const upstream = { hostname: "127.0.0.1", port: listener.addr.port };
  const client = createHttp1Client();
  const encode = (text: string) => new TextEncoder().encode(text);
  const answer = (text: string) =>
    encode(`HTTP/1.1 200 OK\r\ncontent-length: ${text.length}\r\n\r\n${text}`);
  try {
    const first = client.request(upstream, GET());
    const a = await listener.accept();
    await a.read(new Uint8Array(4096));
    await a.write(answer("warm"));
    assert.equal(await (await first).text(), "warm");

    // The upstream reads a few bytes of the POST on the pooled connection and closes it with
    // the rest unread (a reset); the body's second chunk is only produced after that.
    const { promise: reset, resolve: wasReset } = Promise.withResolvers<void>();
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        pulls++;
        if (pulls === 1) controller.enqueue(encode("first "));
        else if (pulls === 2) {
          await reset;
          controller.enqueue(encode("second"));
        } else controller.close();
      },
    });
    const post = client.request(upstream, { ...GET(), method: "POST", body });
    await a.read(new Uint8Array(8));
    a.close();
    wasReset();
    const b = await listener.accept();
    let received = "";
    const buffer = new Uint8Array(4096);
    while (!received.endsWith("0\r\n\r\n")) {
      const n = await b.read(buffer);
      if (n === null) break;
      received += new TextDecoder().decode(buffer.subarray(0, n));
    }
    await b.write(answer("replayed"));
    const response = await post;
    assert.equal(await response.text(), "replayed");
    assert.match(received, /^POST \/a\?b=1 HTTP\/1\.1\r\n/);
    assert.match(received, /\r\n\r\n6\r\nfirst \r\n6\r\nsecond\r\n0\r\n\r\n$/);
    b.close();
  } finally {
    client.close();
    listener.close();
  }
});
