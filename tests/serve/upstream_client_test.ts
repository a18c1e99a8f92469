/**
 * apigw serve's HTTP/1.1 upstream client against a hostile raw-TCP upstream (issue 14, attack
 * classes 1, 2 and 6): request framing as it reaches the upstream byte for byte, idle
 * connections the upstream closed, the retry rule, and hop-by-hop headers both ways.
 */
import assert from "node:assert/strict";
import { poll } from "../poll.ts";
import { apiRule, rawRequest, startGateway, upstreamService } from "./_gateway.ts";
import { type Answer, echo, type RawUpstream, startRawUpstream } from "./_raw_upstream.ts";

function files(upstream: RawUpstream): Record<string, string> {
  return {
    "service.json": upstreamService(upstream.port),
    "api.json": apiRule("api", { host: "api.test", port: upstream.port }, [
      { path: "/{**}", methods: ["GET", "POST", "PUT", "DELETE"], noAuth: true },
    ]),
  };
}

const send = (port: number, head: string, body = "") =>
  rawRequest(port, `${head}\r\nConnection: close\r\n\r\n${body}`);

for (const client of ["http1", "fetch"]) {
  Deno.test(`apigw serve: request framing reaches the upstream valid or not at all (${client})`, async (t) => {
    await using upstream = startRawUpstream();
    await using gateway = await startGateway(files(upstream), {
      args: ["--max-body-bytes", "8", "--upstream-client", client],
    });
    const post = "POST /framed HTTP/1.1\r\nHost: api.test";

    await t.step("identical Content-Length values merge into one", async () => {
      const { status, text } = await send(
        gateway.port,
        `${post}\r\nContent-Length: 5\r\nContent-Length: 5`,
        "hello",
      );
      assert.equal(status, 200, text);
      assert.equal(upstream.requests.length, 1);
      const [request] = upstream.requests;
      assert.equal(request!.body, "hello");
      // One framing header: the HTTP/1.1 client keeps the length, fetch streams it chunked.
      const framing = request!.head.match(/^(?:content-length|transfer-encoding):.*$/gim);
      assert.deepEqual(
        framing?.map((line) => line.toLowerCase()),
        [client === "http1" ? "content-length: 5" : "transfer-encoding: chunked"],
      );
      assert.doesNotMatch(upstream.received.join(""), /NaN/);
    });

    await t.step("merged lengths still meet the body cap", async () => {
      const { status } = await send(
        gateway.port,
        `${post}\r\nContent-Length: 9\r\nContent-Length: 9`,
        "123456789",
      );
      assert.equal(status, 413);
    });

    await t.step("differing lengths, CL with TE and unknown codings are refused", async () => {
      const cases = [
        [`${post}\r\nContent-Length: 5\r\nContent-Length: 4`, "hello"],
        [`${post}\r\nContent-Length: 5, 4`, "hello"],
        [`${post}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked`, "5\r\nhello\r\n0\r\n\r\n"],
        [`${post}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5`, "5\r\nhello\r\n0\r\n\r\n"],
        [`${post}\r\nTransfer-Encoding: gzip, chunked`, "5\r\nhello\r\n0\r\n\r\n"],
        [`${post}\r\nContent-Length: -5`, "hello"],
      ] as const;
      for (const [head, body] of cases) {
        const { status } = await send(gateway.port, head, body);
        assert.equal(status, 400, head);
      }
    });

    await t.step("only the one valid request reached the upstream", () => {
      assert.equal(upstream.requests.length, 1);
    });
  });
}

Deno.test("apigw serve: idle connections the upstream closed are never reused", async (t) => {
  await using upstream = startRawUpstream({ idleCloseMs: 2_000 });
  await using gateway = await startGateway(files(upstream));
  const burst = async () => {
    const statuses = await Promise.all(
      Array.from(
        { length: 12 },
        (_, i) =>
          gateway.fetch(
            `http://api.test/burst/${i}`,
            i % 2 === 0 ? {} : {
              method: "POST",
              body: `body ${i}`,
            },
          ).then(async (response) => {
            await response.body?.cancel();
            return response.status;
          }),
      ),
    );
    return statuses.filter((s) => s !== 200);
  };
  const allIdleClosed = () =>
    poll(() => upstream.idleClosed === upstream.received.length ? true : undefined, {
      timeoutMs: 20_000,
      what: "the upstream to close every idle connection",
    });

  await t.step("a POST after the upstream closed the idle connection", async () => {
    const first = await gateway.fetch("http://api.test/warm");
    assert.equal(first.status, 200);
    await first.body?.cancel();
    await allIdleClosed();
    const response = await gateway.fetch("http://api.test/after-idle", {
      method: "POST",
      body: "after",
    });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal((await response.json()).body, "after");
  });

  await t.step("a burst, an idle period, another burst: no failures", async () => {
    assert.deepEqual(await burst(), []);
    const before = upstream.received.length;
    await allIdleClosed();
    assert.deepEqual(await burst(), []);
    assert.ok(upstream.received.length > before, "the second burst opened new connections");
  });
});

Deno.test("apigw serve: a failed request is replayed only when that is safe", async (t) => {
  // The first request to /drop/* on a reused connection is read whole, then left unanswered.
  const dropped = new Set<string>();
  const answer: Answer = async (request, seen) => {
    if (request.target.startsWith("/drop/") && !dropped.has(request.target)) {
      dropped.add(request.target);
      return null;
    }
    // Slow warm-up answers make the gateway open several connections, all pooled after.
    if (request.target === "/warm") await new Promise((resolve) => setTimeout(resolve, 300));
    return echo(request, seen);
  };
  await using upstream = startRawUpstream({ answer, idleCloseMs: 60_000 });
  await using gateway = await startGateway(files(upstream));
  await Promise.all([1, 2, 3].map(async () => {
    const warm = await gateway.fetch("http://api.test/warm");
    assert.equal(warm.status, 200);
    await warm.body?.cancel();
  }));
  const pooled = upstream.received.length;
  assert.ok(pooled >= 2, "the warm-up left several pooled connections");

  await t.step("an idempotent request retries once, on a new connection", async () => {
    const response = await gateway.fetch("http://api.test/drop/get");
    assert.equal(response.status, 200);
    const seen = upstream.requests.filter((r) => r.target === "/drop/get");
    assert.equal(seen.length, 2);
    assert.ok(seen[0]!.connection < pooled, "first sent on a pooled connection");
    assert.ok(seen[1]!.connection >= pooled, "retried on a connection opened for it");
    assert.equal((await response.json()).connection, seen[1]!.connection);
  });

  await t.step("a POST the upstream received whole is never sent twice", async () => {
    const response = await gateway.fetch("http://api.test/drop/post", {
      method: "POST",
      body: "once",
    });
    assert.equal(response.status, 502);
    await response.body?.cancel();
    assert.equal(upstream.requests.filter((r) => r.target === "/drop/post").length, 1);
  });
});

Deno.test("apigw serve: hop-by-hop headers are stripped both ways", async () => {
  const answer: Answer = () =>
    "HTTP/1.1 200 OK\r\nConnection: x-up-hop, keep-alive\r\nX-Up-Hop: secret\r\n" +
    "Keep-Alive: timeout=30\r\nProxy-Connection: keep-alive\r\nX-Kept: yes\r\n" +
    "content-length: 2\r\n\r\nok";
  await using upstream = startRawUpstream({ answer });
  await using gateway = await startGateway(files(upstream));
  const { status, text } = await send(
    gateway.port,
    "GET /hop HTTP/1.1\r\nHost: api.test\r\nConnection: x-down-hop\r\nX-Down-Hop: secret\r\n" +
      "Keep-Alive: timeout=9\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\nX-Sent: yes",
  );
  assert.equal(status, 200);
  const [head] = text.split("\r\n\r\n");
  assert.match(head!, /^x-kept: yes$/im);
  assert.doesNotMatch(head!, /x-up-hop|^keep-alive:|proxy-connection/im);
  const [request] = upstream.requests;
  assert.match(request!.head, /^x-sent: yes$/im);
  assert.doesNotMatch(request!.head, /x-down-hop|^keep-alive:|^te:|proxy-connection/im);
});

Deno.test("apigw serve: a hostile upstream's response framing cannot desync the pool", async () => {
  const answers: Record<string, string> = {
    "/dup-length": "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\nok",
    "/length-and-chunked":
      "HTTP/1.1 200 OK\r\ncontent-length: 30\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n" +
      "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nevil",
    "/extra-bytes": "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok" +
      "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nevil",
    "/bad-chunk": "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2x\r\nok\r\n0\r\n\r\n",
  };
  await using upstream = startRawUpstream({
    answer: (request, seen) => answers[request.target] ?? echo(request, seen),
  });
  await using gateway = await startGateway(files(upstream));
  const get = async (path: string) => {
    const response = await gateway.fetch(`http://api.test${path}`);
    return { status: response.status, text: await response.text().catch(() => "(broken)") };
  };
  assert.deepEqual(await get("/dup-length"), { status: 200, text: "ok" });
  assert.equal((await get("/length-and-chunked")).status, 502);
  assert.deepEqual(await get("/extra-bytes"), { status: 200, text: "ok" });
  const broken = await get("/bad-chunk");
  assert.notEqual(broken.text, "ok");
  for (const path of ["/next/1", "/next/2", "/next/3"]) {
    const { status, text } = await get(path);
    assert.equal(status, 200);
    assert.equal(JSON.parse(text).target, path, "no answer meant for another request");
  }
});
