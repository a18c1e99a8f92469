/**
 * Global rate limits on a real Redis Cluster (issue 20): 3 masters + 3 replicas started by
 * this file (tests/redis/cluster.ts), two `apigw authz` processes sharing the limits, one master
 * killed mid-load. Run through the harness: `deno task test tests/ratelimit_global/cluster_test.ts`.
 */
import assert from "node:assert/strict";
import { createRedisStore } from "../../proxy/ratelimit/redis_store.ts";
import { keySlot } from "../../proxy/ratelimit/redis_slots.ts";
import { parseRedisUrl } from "../../proxy/ratelimit/redis_url.ts";
import { globalRateLimit, ordersPod } from "../../proxy/ratelimit/_testing.ts";
import { startRedisCluster } from "../redis/cluster.ts";
import { configFolder, metricSum, startAuthzProcess } from "./_authz_process.ts";
import { countsBy, failoverScenario, HOUR, send } from "./_failover.ts";

const PASSWORD = "clusterPw4711secret";

function noPassword(text: string): void {
  assert.ok(!text.includes(PASSWORD), "the password appeared in stderr");
}

Deno.test("two apigw authz on a Redis Cluster allow exactly N per key across slots", async () => {
  const cluster = await startRedisCluster({ password: PASSWORD });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/password`, `${PASSWORD}\n`);
    await using folder = await configFolder([
      globalRateLimit({ defaultBucket: HOUR(5) }),
      ordersPod(),
    ]);
    // One process reads the password from a file, the other from the environment.
    // A budget for a busy machine: a timed-out call would fall back to the failure mode.
    const timeout = ["--redis-timeout-ms", "1000"];
    await using a = await startAuthzProcess(folder.dir, [
      ...timeout,
      "--redis-url",
      cluster.url,
      "--redis-password-file",
      `${dir}/password`,
    ]);
    await using b = await startAuthzProcess(folder.dir, [...timeout, "--redis-url", cluster.url], {
      env: { APIGW_REDIS_PASSWORD: PASSWORD },
    });
    const keys = Array.from({ length: 30 }, () => crypto.randomUUID());
    const requests = keys.flatMap((key) => Array(8).fill({ path: "/", key }));
    const answers = await send([a, b], requests, 16);
    const metrics = await Promise.all([a.metrics(), b.metrics()]);
    for (const m of metrics) {
      assert.equal(metricSum(m, "apigw_ratelimit_redis_errors_total", ""), 0, m);
      assert.ok(metricSum(m, "apigw_ratelimit_redis_slot_refreshes_total", "") > 0, m);
    }
    const allowed = countsBy(answers, 200);
    for (const key of keys) assert.equal(allowed.get(`/ ${key}`), 5, key);
    assert.equal(countsBy(answers, 429).size, 30);
    // The keys landed on every master, so the batches really were split by slot.
    for (const port of await cluster.masters()) {
      const size = Number((await cluster.cli(port, ["DBSIZE"])).trim());
      assert.ok(size > 0, `master ${port} holds keys`);
    }
    for (const p of [a, b]) noPassword(p.logs.map((l) => JSON.stringify(l)).join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
    await cluster.stop();
  }
});

Deno.test("the store on a Redis Cluster: slots as Redis computes them, RLS counters and windows", async () => {
  const cluster = await startRedisCluster();
  const parsed = parseRedisUrl(cluster.url);
  assert.ok(parsed.ok);
  const store = createRedisStore({ url: parsed.value, commandTimeoutMs: 2_000 });
  try {
    assert.ok(await store.connected(10_000));
    for (const key of ["apigw:rl:rls:a", "{tag}x", "foo", crypto.randomUUID()]) {
      const slot = Number(
        (await cluster.cli(cluster.ports[0]!, ["CLUSTER", "KEYSLOT", key])).trim(),
      );
      assert.equal(keySlot(key), slot, key);
    }
    // The RLS' fixed windows (addHits): 40 counters over many slots, in order.
    const hits = Array.from({ length: 40 }, (_, i) => ({
      key: `${crypto.randomUUID()}_${i}`,
      hits: i + 1,
      windowSeconds: 60,
    }));
    assert.deepEqual(await store.addHits(hits), hits.map((h) => h.hits));
    assert.deepEqual(await store.addHits(hits), hits.map((h) => 2 * h.hits));
    const window = { maxTokens: 2, tokensPerFill: 2, fillIntervalMs: 3_600_000 };
    const key = crypto.randomUUID();
    const takes = [];
    for (let i = 0; i < 3; i++) takes.push(await store.take(key, window, "fixedWindow"));
    assert.deepEqual(takes.map((t) => t.allowed), [true, true, false]);
    // Concurrent token bucket checks of many keys: one batch, one script run per slot.
    const bucket = { maxTokens: 2, tokensPerFill: 1, fillIntervalMs: 3_600_000 };
    const many = Array.from({ length: 50 }, () => crypto.randomUUID());
    const first = await Promise.all(
      many.flatMap((k) => [k, k, k]).map((k) => store.take(k, bucket, "tokenBucket")),
    );
    assert.equal(first.filter((t) => t.allowed).length, 100);
  } finally {
    await store.close();
    await cluster.stop();
  }
});

Deno.test("a Redis Cluster master killed mid-load: failure modes in the window, enforcement resumes on the promoted replica", async () => {
  const cluster = await startRedisCluster({ password: PASSWORD });
  try {
    const report = await failoverScenario({
      args: ["--redis-url", cluster.url],
      env: { APIGW_REDIS_PASSWORD: PASSWORD },
      async killMaster() {
        // The master holding the most of the test's keys.
        const masters = await cluster.masters();
        const sizes = await Promise.all(
          masters.map(async (port) => Number((await cluster.cli(port, ["DBSIZE"])).trim())),
        );
        const port = masters[sizes.indexOf(Math.max(...sizes))]!;
        await cluster.kill(port);
        return `master ${port} (${Math.max(...sizes)} keys)`;
      },
      checkLogs: noPassword,
    });
    console.log(`Redis Cluster failover: ${JSON.stringify(report)}`);
    assert.ok(Number(report.failovers) >= 1, "the failover was seen");
  } finally {
    await cluster.stop();
  }
});
