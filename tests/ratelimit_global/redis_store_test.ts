/**
 * The Redis store against a real Redis: the Lua token bucket gives the answers of the pure
 * `takeToken()` for the same sequence, also when concurrent checks of one key share a script
 * run, and the fixed window is rate-limiter-flexible's. Run through `deno task test`.
 */
import assert from "node:assert/strict";
import { takeToken } from "../../core/ratelimit/token_bucket.ts";
import { createRedisStore } from "../../proxy/ratelimit/redis_store.ts";

function redisUrl(): string {
  const url = Deno.env.get("APIGW_TEST_REDIS_URL");
  assert.ok(url, "APIGW_TEST_REDIS_URL is not set: run through `deno task test`");
  return url;
}

// An hour per token: no refill happens during the test, so the answers do not depend on timing.
const BUCKET = { maxTokens: 3, tokensPerFill: 1, fillIntervalMs: 3_600_000 };

Deno.test("createRedisStore() token bucket answers as takeToken() does", async (t) => {
  const store = createRedisStore({ url: redisUrl(), commandTimeoutMs: 2_000 });
  try {
    assert.ok(await store.connected(5_000));
    await t.step("one check at a time", async () => {
      const key = crypto.randomUUID();
      let state;
      for (let i = 0; i < 5; i++) {
        const got = await store.take(key, BUCKET, "tokenBucket");
        const want = takeToken(state, BUCKET, 0);
        state = want.state;
        assert.equal(got.allowed, want.take.allowed, `check ${i}`);
        assert.equal(got.remaining, want.take.remaining, `check ${i}`);
        // Redis time moves on between calls: up to a second less than from time 0.
        assert.ok(Math.abs(got.fullAfterMs - want.take.fullAfterMs) < 1_000, `check ${i}`);
        assert.ok(Math.abs(got.retryAfterMs - want.take.retryAfterMs) < 1_000, `check ${i}`);
      }
    });
    await t.step("concurrent checks of one key in one batch take one token each", async () => {
      const key = crypto.randomUUID();
      const takes = await Promise.all(
        Array.from({ length: 10 }, () => store.take(key, BUCKET, "tokenBucket")),
      );
      assert.equal(takes.filter((take) => take.allowed).length, 3);
      assert.deepEqual(takes.map((take) => take.remaining).sort(), [0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
    });
    await t.step(
      "concurrent addHits calls share script runs and count as if one by one",
      async () => {
        const scriptCalls = async () => {
          const info = String(await store.client.redis.info("commandstats"));
          return [...info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)]
            .reduce((sum, m) => sum + Number(m[1]), 0);
        };
        const shared = crypto.randomUUID();
        const before = await scriptCalls();
        const calls = 50;
        const counts = await Promise.all(
          Array.from({ length: calls }, (_, i) =>
            store.addHits([
              { key: shared, hits: 1, windowSeconds: 60 },
              { key: `${shared}-${i}`, hits: 2, windowSeconds: 60 },
            ])),
        );
        const runs = (await scriptCalls()) - before;
        // Every call saw the shared counter move by its own hit, and its own counter at 2.
        assert.deepEqual(
          counts.map((c) => c[0]).sort((a, b) => a! - b!),
          Array.from({ length: calls }, (_, i) => i + 1),
        );
        assert.ok(counts.every((c) => c.length === 2 && c[1] === 2));
        // The first call runs at once, the next one while it is in flight, the rest together.
        assert.ok(runs < calls / 5, `${runs} script runs for ${calls} concurrent calls`);
        const ttl = await store.client.redis.ttl(`apigw:rl:rls:${shared}`);
        assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`);
      },
    );
    await t.step("the fixed window allows maxTokens per window", async () => {
      const key = crypto.randomUUID();
      const window = { maxTokens: 3, tokensPerFill: 3, fillIntervalMs: 3_600_000 };
      const takes = [];
      for (let i = 0; i < 4; i++) takes.push(await store.take(key, window, "fixedWindow"));
      assert.deepEqual(takes.map((take) => take.allowed), [true, true, true, false]);
      assert.ok(takes[3]!.retryAfterMs > 3_500_000);
    });
  } finally {
    await store.close();
  }
});

Deno.test("createRedisStore() fails fast instead of queueing when Redis is not there", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 50 });
  try {
    assert.equal(await store.connected(200), false);
    await assert.rejects(async () => await store.take("k", BUCKET, "tokenBucket"));
    await assert.rejects(async () =>
      await store.take("k", { ...BUCKET, tokensPerFill: 3 }, "fixedWindow")
    );
  } finally {
    await store.close();
  }
});
