/**
 * Slow and idle clients against `apigw serve` (issue 14 #5). Deno.serve has no header-read or
 * idle timeout and no connection cap (docs/upstream-differences.md, "Data-plane limits"), so
 * this shows the documented limit holds: 500 stalled connections (silent, mid-head, idle
 * keep-alive) neither slow another client nor use more than one descriptor each.
 */
import assert from "node:assert/strict";
import { poll } from "../poll.ts";
import {
  descriptorLimit,
  openDescriptors,
  stallConnections,
  timedRequests,
} from "../stalled_clients.ts";
import { apiRule, startGateway, startUpstream, upstreamService } from "./_gateway.ts";

const STALLED = 500;

Deno.test("apigw serve: 500 stalled connections neither slow other clients nor exhaust descriptors", async () => {
  await using upstream = await startUpstream();
  await using gateway = await startGateway({
    "service.json": upstreamService(upstream.port),
    "api.json": apiRule("api", { host: "api.test", port: upstream.port }, [
      { path: "/*", methods: ["GET"], noAuth: true },
    ]),
  }, { args: ["--access-log", "off"] });
  const normal = async () => {
    const response = await gateway.fetch("http://api.test/normal");
    await response.body?.cancel();
    return response.status === 200;
  };
  const limit = await descriptorLimit();
  const before = await openDescriptors();
  const baseline = await timedRequests(20, normal);
  const conns = await stallConnections(
    gateway.port,
    STALLED,
    "GET /stalled HTTP/1.1\r\nHost: api.test\r\n\r\n",
  );
  try {
    const during = await openDescriptors();
    const durations = await timedRequests(50, normal);
    // The test process holds both ends: its own STALLED client sockets and the server's.
    const serverSide = during - before - STALLED;
    console.log(
      `ulimit -n ${limit}; descriptors ${before} before, ${during} with ${STALLED} stalled ` +
        `(server side +${serverSide}); normal request max ${Math.max(...baseline).toFixed(1)} ms ` +
        `before, max ${Math.max(...durations).toFixed(1)} ms with them stalled`,
    );
    assert.ok(during < limit, `${during} descriptors open, limit ${limit}`);
    assert.ok(
      serverSide <= STALLED + 20,
      `the server holds ${serverSide} descriptors for ${STALLED} stalled connections`,
    );
    // Generous: a stalled connection costing the serving thread anything would show as seconds.
    assert.ok(Math.max(...durations) < 2_000, `normal requests took ${durations.join(", ")} ms`);
  } finally {
    for (const conn of conns) conn.close();
  }
  // Closed by the clients, the server's descriptors go too.
  await poll(async () => (await openDescriptors()) <= before + 10 || undefined, {
    timeoutMs: 20_000,
    what: "the server to release the stalled connections' descriptors",
  });
});
