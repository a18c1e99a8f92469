import assert from "node:assert/strict";
import { Deadlines, GRANULARITY_MS } from "./deadlines.ts";

Deno.test("Deadlines: a due deadline aborts its signal; a cleared one never does", async () => {
  const deadlines = new Deadlines();
  const due = deadlines.arm(10);
  const cleared = deadlines.arm(10);
  const later = deadlines.arm(60_000);
  cleared.clear();
  assert.deepEqual(deadlines.size, 2);
  // The sweeping interval is unref'd (it never keeps a process alive): hold the loop open.
  const hold = setTimeout(() => {}, 10_000);
  const reason = await new Promise<unknown>((resolve) =>
    due.signal.addEventListener("abort", () => resolve(due.signal.reason), { once: true })
  );
  clearTimeout(hold);
  assert(reason instanceof DOMException && reason.name === "TimeoutError");
  // Let a few more sweeps pass: the cleared one and the later one stay quiet.
  await new Promise((resolve) => setTimeout(resolve, 3 * GRANULARITY_MS));
  assert(!cleared.signal.aborted);
  assert(!later.signal.aborted);
  assert.deepEqual(deadlines.size, 1);
  // Clearing the last pending deadline stops the interval (the test's op sanitizer checks it).
  later.clear();
  assert.deepEqual(deadlines.size, 0);
});

Deno.test("Deadlines: many deadlines fire in order of their due time, by a fake clock", async () => {
  let now = 0;
  const deadlines = new Deadlines(() => now);
  const fired: number[] = [];
  const armed = [300, 100, 200].map((ms) => {
    const deadline = deadlines.arm(ms);
    deadline.signal.addEventListener("abort", () => fired.push(ms));
    return deadline;
  });
  for (const at of [150, 250, 350]) {
    now = at;
    await new Promise((resolve) => setTimeout(resolve, 2 * GRANULARITY_MS));
    assert.deepEqual(fired, [100, 200, 300].filter((ms) => ms <= at));
  }
  assert.deepEqual(deadlines.size, 0);
  for (const deadline of armed) deadline.clear(); // harmless after firing
});
