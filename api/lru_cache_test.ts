import assert from "node:assert/strict";
import { LruCache } from "./lru_cache.ts";

Deno.test("LruCache never holds more than its capacity and drops the least recently used", () => {
  const cache = new LruCache<string, number>(3);
  for (const [i, key] of ["a", "b", "c"].entries()) cache.set(key, i);
  assert.equal(cache.get("a"), 0); // `a` is now the most recently used; `b` the least
  cache.set("d", 3);
  assert.equal(cache.size, 3);
  assert.equal(cache.get("b"), undefined);
  assert.deepEqual(["a", "c", "d"].map((key) => cache.get(key)), [0, 2, 3]);
  for (let i = 0; i < 1000; i++) cache.set(`k${i}`, i);
  assert.equal(cache.size, 3);
  assert.deepEqual(["k997", "k998", "k999"].map((key) => cache.get(key)), [997, 998, 999]);
});

Deno.test("LruCache.getOrCompute() computes once per key while cached, and stores no throw", async (t) => {
  const cache = new LruCache<string, string | undefined>(2);
  const calls: string[] = [];
  const compute = (key: string) => {
    calls.push(key);
    if (key === "bad") throw new SyntaxError("bad key");
    return key === "none" ? undefined : key.toUpperCase();
  };
  await t.step("a cached undefined is a hit, not a miss", () => {
    assert.equal(cache.getOrCompute("none", compute), undefined);
    assert.equal(cache.getOrCompute("none", compute), undefined);
    assert.deepEqual(calls, ["none"]);
  });
  await t.step("a throw propagates every time and takes no slot", () => {
    assert.throws(() => cache.getOrCompute("bad", compute), SyntaxError);
    assert.throws(() => cache.getOrCompute("bad", compute), SyntaxError);
    assert.deepEqual(calls, ["none", "bad", "bad"]);
    assert.equal(cache.size, 1);
  });
  await t.step("an evicted key is computed again", () => {
    assert.equal(cache.getOrCompute("x", compute), "X");
    assert.equal(cache.getOrCompute("y", compute), "Y"); // evicts "none"
    assert.equal(cache.getOrCompute("none", compute), undefined);
    assert.deepEqual(calls.slice(3), ["x", "y", "none"]);
  });
});

Deno.test("LruCache refuses a capacity that is not a positive integer", () => {
  for (const capacity of [0, -1, 1.5, NaN]) {
    assert.throws(() => new LruCache(capacity), RangeError, String(capacity));
  }
});
