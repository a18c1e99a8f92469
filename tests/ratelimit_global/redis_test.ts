/**
 * Acceptance of RateLimit `spec.global` with a real Redis (issue 9): `apigw authz` processes
 * started like replicas, sharing the Redis of the test run (or a private one the test stops).
 * Run through the harness: `deno task test tests/ratelimit_global/`.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { globalRateLimit, ordersPod } from "../../proxy/ratelimit/_testing.ts";
import { startRedis } from "../redis/redis.ts";
import { poll } from "../poll.ts";
import { check, configFolder, metricSum, startAuthzProcess } from "./_authz_process.ts";

function redisUrl(): string {
  const url = Deno.env.get("APIGW_TEST_REDIS_URL");
  assert.ok(url, "APIGW_TEST_REDIS_URL is not set: run through `deno task test`");
  return url;
}

const HOUR = (maxTokens: number) => ({ maxTokens, tokensPerFill: 1, fillInterval: "1h" });

/** Runs `total` checks, `concurrency` at a time, spread over `bases`; returns the statuses. */
async function load(
  bases: string[],
  total: number,
  request: (i: number) => { path: string; headers: Record<string, string> },
  concurrency = 8,
): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      const { path, headers } = request(i);
      statuses.push(await check(bases[i % bases.length]!, path, headers));
    }
  }));
  return statuses;
}

function count(statuses: number[], status: number): number {
  return statuses.filter((s) => s === status).length;
}

Deno.test("two apigw authz processes sharing one Redis allow exactly N in total", async () => {
  const url = redisUrl();
  await using folder = await configFolder([
    globalRateLimit({ defaultBucket: HOUR(20) }),
    ordersPod(),
  ]);
  await using a = await startAuthzProcess(folder.dir, ["--redis-url", url]);
  await using b = await startAuthzProcess(folder.dir, ["--redis-url", url]);
  const key = crypto.randomUUID();
  const statuses = await load(
    [a.checkUrl, b.checkUrl],
    120,
    () => ({ path: "/", headers: { "x-api-key": key } }),
  );
  assert.equal(count(statuses, 200), 20, `allowed across both: ${JSON.stringify(statuses)}`);
  assert.equal(count(statuses, 429), 100);
  const [ma, mb] = await Promise.all([a.metrics(), b.metrics()]);
  const allowed = (m: string) => metricSum(m, "apigw_ratelimit_checks_total", 'result="allowed"');
  assert.equal(allowed(ma) + allowed(mb), 20);
  assert.ok(allowed(ma) > 0 && allowed(mb) > 0, "both processes took tokens");
  // A second key has its own 20 tokens in the same Redis.
  const other = await load(
    [a.checkUrl, b.checkUrl],
    30,
    () => ({ path: "/", headers: { "x-api-key": `${key}-2` } }),
  );
  assert.equal(count(other, 200), 20);
});

Deno.test("shadow mode (enforce: false) allows every request and reports the limited ones", async () => {
  const url = redisUrl();
  await using folder = await configFolder([
    globalRateLimit({ defaultBucket: HOUR(10), enforce: false }),
    ordersPod(),
  ]);
  await using a = await startAuthzProcess(folder.dir, ["--redis-url", url]);
  await using b = await startAuthzProcess(folder.dir, ["--redis-url", url]);
  const key = crypto.randomUUID();
  const statuses = await load(
    [a.checkUrl, b.checkUrl],
    40,
    () => ({ path: "/", headers: { "x-api-key": key } }),
  );
  assert.equal(count(statuses, 200), 40, "every request allowed, none limited");
  const metrics = await Promise.all([a.metrics(), b.metrics()]);
  const sum = (result: string) =>
    metrics.reduce(
      (total, m) => total + metricSum(m, "apigw_ratelimit_checks_total", `result="${result}"`),
      0,
    );
  assert.equal(sum("allowed"), 10);
  assert.equal(sum("shadow_limited"), 30);
  assert.equal(sum("limited"), 0);
});

Deno.test("Redis killed mid-load: each bucket's failure mode holds, enforcement resumes after", async () => {
  let redis = await startRedis();
  const port = redis.port;
  try {
    await using folder = await configFolder([
      globalRateLimit({
        buckets: ["closed", "open", "local"].map((mode) => ({
          path: `/${mode}`,
          failureMode: mode,
          bucket: HOUR(5),
        })),
      }),
      ordersPod(),
    ]);
    // A generous budget: the machine is shared; Redis being down fails at once regardless.
    await using authz = await startAuthzProcess(folder.dir, [
      "--redis-url",
      redis.url,
      "--redis-timeout-ms",
      "500",
      // Every check asks Redis: a drained key must not be answered from memory here.
      "--ratelimit-prereject-ms",
      "0",
    ]);
    const key = { "x-api-key": crypto.randomUUID() };
    const paths = ["/closed", "/open", "/local"];
    // Drain every bucket in Redis first, so any 200 later shows which side answered.
    for (const path of paths) {
      const drained = await load([authz.checkUrl], 6, () => ({ path, headers: key }), 1);
      assert.deepEqual(drained, [200, 200, 200, 200, 200, 429], path);
    }
    const seen: Record<string, number[]> = { "/closed": [], "/open": [], "/local": [] };
    let stopLoad = false;
    const running = (async () => {
      for (let i = 0; !stopLoad; i++) {
        const path = paths[i % 3]!;
        seen[path]!.push(await check(authz.checkUrl, path, key));
      }
    })();
    try {
      await poll(() => (seen["/local"]!.length >= 10 || undefined), { what: "load before kill" });
      await redis.stop();
      const atKill = seen["/local"]!.length;
      await poll(
        () => (seen["/local"]!.length >= atKill + 30 || undefined),
        { timeoutMs: 60_000, what: "load while Redis is down" },
      );
    } finally {
      stopLoad = true;
      await running;
    }
    // Every answer is Redis's (429: drained) or the bucket's failure mode; nothing else.
    assert.deepEqual([...new Set(seen["/closed"])].sort(), [429, 503]);
    assert.deepEqual([...new Set(seen["/open"])].sort(), [200, 429]);
    assert.equal(count(seen["/local"]!, 200), 5, "the in-memory bucket's 5 tokens, no more");
    assert.deepEqual([...new Set(seen["/local"])].sort(), [200, 429]);
    const down = await authz.metrics();
    assert.ok(metricSum(down, "apigw_ratelimit_fallback_total", 'mode="closed"') > 0);
    assert.ok(metricSum(down, "apigw_ratelimit_redis_errors_total", "") > 0);

    redis = await startRedis({ port });
    // The new Redis is empty, so its buckets are full: a 200 on /closed can only come from it.
    await poll(async () => (await check(authz.checkUrl, "/closed", key)) === 200 || undefined, {
      timeoutMs: 30_000,
      what: "enforcement through Redis again",
    });
    const resumed = await load([authz.checkUrl], 6, () => ({ path: "/closed", headers: key }), 1);
    assert.deepEqual(resumed, [200, 200, 200, 200, 429, 429], "5 tokens in total, then limited");
  } finally {
    await redis.stop().catch(() => {});
  }
});

Deno.test("key cardinality stays bounded under random keys", async () => {
  const url = redisUrl();
  const name = `cardinality-${crypto.randomUUID().slice(0, 8)}`;
  const rateLimit = globalRateLimit({ defaultBucket: HOUR(1) });
  const metadata = { name, namespace: "shop" };
  await using folder = await configFolder([{ ...rateLimit, metadata }, ordersPod()]);
  await using authz = await startAuthzProcess(folder.dir, [
    "--redis-url",
    url,
    "--ratelimit-local-keys",
    "50",
  ]);
  const keys = Array.from({ length: 300 }, () => crypto.randomUUID());
  // Two checks per key: the second empties it, so every key would be remembered as empty.
  const statuses = await load(
    [authz.checkUrl],
    600,
    (i) => ({ path: "/", headers: { "x-api-key": keys[i % 300]! } }),
  );
  assert.equal(count(statuses, 429), 300);
  const metrics = await authz.metrics();
  assert.ok(metricSum(metrics, "apigw_ratelimit_local_keys", "") <= 50, metrics);
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", `apigw:rl:tb:shop/${name}/*`);
      cursor = next;
      found.push(...batch);
    } while (cursor !== "0");
    assert.equal(found.length, 300, "one hashed key per caller");
    for (const key of found) {
      assert.ok(key.length < 100, `bounded key length: ${key}`);
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 0 && ttl <= 3_600_000, `${key} expires once full again (pttl ${ttl})`);
    }
  } finally {
    redis.disconnect();
  }
});
