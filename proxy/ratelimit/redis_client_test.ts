import assert from "node:assert/strict";
import { MetricsRegistry } from "../../lib/metrics.ts";
import { createRedisClient } from "./redis_client.ts";
import { registerRedisMetrics } from "./redis_metrics.ts";
import { parseRedisUrl } from "./redis_url.ts";

/**
 * A TCP peer that speaks just enough RESP for ioredis to become ready (HELLO refused, AUTH, CLIENT, INFO), then never
 * answers: a hung Redis.
 */
function hungRedis(): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        const buffer = new Uint8Array(4096);
        try {
          for (;;) {
            const read = await conn.read(buffer);
            if (read === null) break;
            const text = new TextDecoder().decode(buffer.subarray(0, read));
            // Each command is a RESP array whose first bulk string is its name.
            for (const [, name] of text.matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n/g)) {
              const upper = name!.toUpperCase();
              let reply = "";
              // No RESP3: ioredis falls back to AUTH and RESP2.
              if (upper === "HELLO") reply = "-ERR unknown command 'HELLO'\r\n";
              if (upper === "AUTH" || upper === "CLIENT") reply = "+OK\r\n";
              if (upper === "INFO") {
                const body = "# Server\r\nloading:0\r\n";
                reply = `$${body.length}\r\n${body}\r\n`;
              }
              if (reply !== "") await conn.write(new TextEncoder().encode(reply));
            }
          }
        } catch {
          // Closed by the test.
        }
      })();
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed by the client.
        }
      }
      await serving;
    },
  };
}

Deno.test("createRedisClient() refuses calls past the pending cap at once, and times out the rest", async () => {
  const server = hungRedis();
  const target = parseRedisUrl(`redis://:hunter2secret@127.0.0.1:${server.port}`);
  assert.ok(target.ok);
  const client = createRedisClient(target.value, { commandTimeoutMs: 300, maxPending: 3 });
  try {
    assert.ok(await client.ready(5_000));
    const started = performance.now();
    const calls = Array.from({ length: 5 }, (_, i) => client.call(() => client.redis.get(`k${i}`)));
    const outcomes = await Promise.allSettled(calls);
    const reasons = outcomes.map((o) => (o.status === "rejected" ? String(o.reason) : "fulfilled"));
    assert.match(reasons[0]!, /did not answer within 300 ms|timed out/i);
    assert.match(reasons[3]!, /has 3 calls pending \(the cap\)/);
    assert.match(reasons[4]!, /has 3 calls pending \(the cap\)/);
    for (const reason of reasons) assert.ok(!reason.includes("hunter2secret"), reason);
    assert.ok(performance.now() - started < 5_000);
    const stats = client.stats();
    assert.equal(stats.peakPending, 3);
    assert.equal(stats.capped, 2);
    assert.match(
      client.renderMetrics("apigw_x"),
      /^apigw_x_redis_capped_total\{topology="standalone"\} 2$/m,
    );
    // The same families on the process registry (`apigw authz`, `apigw serve`), read at scrape.
    const registry = new MetricsRegistry();
    registerRedisMetrics(registry, "apigw_y", client);
    const text = registry.render();
    assert.match(text, /^# TYPE apigw_y_redis_capped_total counter$/m);
    assert.match(text, /^apigw_y_redis_capped_total\{topology="standalone"\} 2$/m);
    assert.match(text, /^apigw_y_redis_pending_cap\{topology="standalone"\} 3$/m);
    assert.match(text, /^apigw_y_redis_pending_peak\{topology="standalone"\} 3$/m);
  } finally {
    client.close();
    await server.close();
  }
});
