import assert from "node:assert/strict";
import { type BucketState, takeToken } from "./token_bucket.ts";

const BUCKET = { maxTokens: 3, tokensPerFill: 1, fillIntervalMs: 1000 };

/** Runs requests at the given times and returns which were allowed. */
function run(times: number[]): boolean[] {
  let state: BucketState | undefined;
  return times.map((now) => {
    const step = takeToken(state, BUCKET, now);
    state = step.state;
    return step.take.allowed;
  });
}

Deno.test("takeToken() follows Envoy's lazily refilled token bucket", async (t) => {
  const cases: { name: string; times: number[]; allowed: boolean[] }[] = [
    { name: "starts full", times: [0, 0, 0, 0], allowed: [true, true, true, false] },
    {
      name: "adds tokensPerFill per whole interval",
      times: [0, 0, 0, 999, 1000, 1000],
      allowed: [true, true, true, false, true, false],
    },
    {
      name: "never holds more than maxTokens",
      times: [0, 100_000, 100_000, 100_000, 100_000],
      allowed: [true, true, true, true, false],
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => assert.deepEqual(run(tc.times), tc.allowed));
  }
});

Deno.test("takeToken() says when to retry and when the bucket is full again", () => {
  let state: BucketState | undefined;
  for (let i = 0; i < 3; i++) state = takeToken(state, BUCKET, 0).state;
  const denied = takeToken(state, BUCKET, 400);
  assert.deepEqual(denied.take, {
    allowed: false,
    remaining: 0,
    retryAfterMs: 600,
    fullAfterMs: 2600,
  });
  assert.equal(takeToken(undefined, BUCKET, 0, 0).state, undefined, "a full bucket keeps no state");
});
