import assert from "node:assert/strict";
import { FakeClock } from "./_fake_clock.ts";
import { runWorkers, WorkQueue } from "./queue.ts";

const LIMITS = { baseDelayMs: 1_000, maxDelayMs: 1_000_000, qps: 30, burst: 200 };

function queue(clock = new FakeClock()) {
  return { q: new WorkQueue(LIMITS, clock), clock };
}

Deno.test("WorkQueue.add() deduplicates a key that is waiting", async () => {
  const { q } = queue();
  q.add("a");
  q.add("b");
  q.add("a");
  assert.equal(q.stats.depth, 2);
  assert.equal(await q.get(), "a");
  assert.equal(await q.get(), "b");
});

Deno.test("WorkQueue.get() never hands out a key that is being processed", async (t) => {
  await t.step("an add while processing waits until done()", async () => {
    const { q } = queue();
    q.add("a");
    assert.equal(await q.get(), "a");
    q.add("a");
    assert.equal(q.stats.depth, 0, "not ready while a is processed");
    q.done("a");
    assert.equal(q.stats.depth, 1);
    assert.equal(await q.get(), "a");
    q.done("a");
  });
  await t.step("several adds while processing come back once", async () => {
    const { q } = queue();
    q.add("a");
    await q.get();
    q.add("a");
    q.add("a");
    q.done("a");
    assert.equal(q.stats.depth, 1);
  });
});

Deno.test("WorkQueue.addAfter() keeps the earliest due time and an add supersedes it", async (t) => {
  await t.step("the earlier of two delays wins", () => {
    const { q, clock } = queue();
    q.addAfter("a", 5_000);
    q.addAfter("a", 1_000);
    q.addAfter("a", 9_000);
    clock.advance(999);
    assert.equal(q.stats.depth, 0);
    clock.advance(1);
    assert.equal(q.stats.depth, 1);
    clock.advance(10_000);
    assert.equal(q.stats.depth, 1, "the later delays were dropped");
  });
  await t.step("an immediate add cancels the scheduled one", async () => {
    const { q, clock } = queue();
    q.addAfter("a", 1_000);
    q.add("a");
    assert.equal(q.stats.scheduled, 0);
    assert.equal(await q.get(), "a");
    q.done("a");
    clock.advance(2_000);
    assert.equal(q.stats.depth, 0);
  });
});

Deno.test("WorkQueue.addRateLimited() backs off exponentially per key until forget()", () => {
  const { q } = queue();
  const delays = [1, 2, 3, 4].map(() => q.addRateLimited("a"));
  assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000]);
  assert.equal(q.retries("a"), 4);
  assert.equal(q.addRateLimited("b"), 1_000, "keys back off independently");
  q.forget("a");
  assert.equal(q.addRateLimited("a"), 1_000);
});

Deno.test("WorkQueue.addRateLimited() caps the delay and applies the global token bucket", async (t) => {
  await t.step("the per-key delay stops at maxDelayMs", () => {
    const q = new WorkQueue({ ...LIMITS, maxDelayMs: 5_000 }, new FakeClock());
    const delays = Array.from({ length: 6 }, () => q.addRateLimited("a"));
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });
  await t.step("beyond the burst, retries wait for tokens", () => {
    const q = new WorkQueue({ baseDelayMs: 1, maxDelayMs: 1, qps: 10, burst: 2 }, new FakeClock());
    assert.deepEqual(["a", "b", "c", "d"].map((k) => q.addRateLimited(k)), [1, 1, 100, 200]);
  });
});

Deno.test("WorkQueue.shutDown() releases waiting getters and clears timers", async () => {
  const { q, clock } = queue();
  q.addAfter("a", 1_000);
  const waiting = q.get();
  q.shutDown();
  assert.equal(await waiting, undefined);
  assert.equal(clock.pending, 0);
  q.add("b");
  assert.equal(await q.get(), undefined);
});

Deno.test("runWorkers() runs at most `concurrency` keys at once and one key never twice", async () => {
  const { q } = queue();
  let running = 0;
  let peak = 0;
  const active = new Set<string>();
  const seen: string[] = [];
  const handled = runWorkers(q, 3, async (key) => {
    assert.ok(!active.has(key), `${key} processed twice at once`);
    active.add(key);
    running++;
    peak = Math.max(peak, running);
    seen.push(key);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (seen.filter((k) => k === key).length === 1 && key === "k0") q.add(key);
    running--;
    active.delete(key);
  });
  for (let i = 0; i < 10; i++) q.add(`k${i}`);
  q.add("k0");
  while (seen.length < 11 || q.stats.busy > 0 || q.stats.depth > 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  q.shutDown();
  await handled;
  assert.equal(peak, 3);
  assert.equal(seen.filter((k) => k === "k0").length, 2, "k0 re-added while processing ran again");
  assert.equal(seen.length, 11);
});
