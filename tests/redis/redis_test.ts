import assert from "node:assert/strict";
import { Redis } from "ioredis";

Deno.test("startRedis() serves a Redis that ioredis round-trips a key through", async () => {
  const url = Deno.env.get("APIGW_TEST_REDIS_URL");
  assert.ok(url, "APIGW_TEST_REDIS_URL is not set: run through `deno task test`");
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const key = `apigw-test:${crypto.randomUUID()}`;
    assert.equal(await redis.set(key, "value", "EX", 60), "OK");
    assert.equal(await redis.get(key), "value");
    assert.equal(await redis.del(key), 1);
  } finally {
    await redis.quit();
  }
});
