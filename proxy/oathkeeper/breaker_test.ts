import assert from "node:assert/strict";
import { createBreaker } from "./breaker.ts";
import { testClock } from "./_testing.ts";

Deno.test("createBreaker() opens after the threshold, lets one trial through, and closes on success", () => {
  const clock = testClock();
  const breaker = createBreaker({ failureThreshold: 2, openMs: 1_000, now: clock.now });
  assert.equal(breaker.allow("a"), true);
  breaker.failure("a");
  assert.equal(breaker.state("a"), "closed");
  breaker.failure("a");
  assert.equal(breaker.state("a"), "open");
  assert.equal(breaker.allow("a"), false);
  assert.equal(breaker.allow("b"), true, "per key");
  clock.advance(1_000);
  assert.equal(breaker.state("a"), "half-open");
  assert.equal(breaker.allow("a"), true, "one trial");
  assert.equal(breaker.allow("a"), false, "only one");
  breaker.failure("a");
  assert.equal(breaker.state("a"), "open", "a failed trial opens it again");
  clock.advance(1_000);
  assert.equal(breaker.allow("a"), true);
  breaker.success("a");
  assert.equal(breaker.state("a"), "closed");
  assert.equal(breaker.allow("a"), true);
});
