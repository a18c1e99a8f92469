import assert from "node:assert/strict";
import { checkBuckets } from "../../core/ratelimit/buckets.ts";
import { createLimiter, limitHeaders, rateLimitPolicy } from "./rate_limit.ts";

function policy(options: { enforce?: boolean; headers?: boolean } = {}) {
  const limits = checkBuckets(
    { maxTokens: 2, tokensPerFill: 1, fillInterval: "1s" },
    [{ path: "/limited", bucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "2s" } }, {
      headers: { "x-tier": "free", method: "POST" },
      bucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1s" },
    }],
  );
  assert.ok(limits.ok);
  return rateLimitPolicy("ns/rl", limits.value, {
    enforce: options.enforce ?? true,
    responseHeaders: options.headers ?? true,
  });
}

const request = (path: string, headers: Record<string, string> = {}, method = "GET") => ({
  method,
  scheme: "http",
  path,
  headers: new Headers(headers),
});

Deno.test("createLimiter() takes tokens from the first matching bucket, else the default", async (t) => {
  const limiter = createLimiter();
  const p = [policy()];
  await t.step("the path bucket matches the exact :path only", () => {
    assert.equal(limiter.take(p, request("/limited"), 0)[0]!.bucket, "buckets[0]");
    assert.equal(limiter.take(p, request("/limited"), 10)[0]!.allowed, false);
    assert.equal(limiter.take(p, request("/limited?x=1"), 10)[0]!.bucket, "default");
  });
  await t.step("a header bucket needs every entry, pseudo headers included", () => {
    assert.equal(limiter.take(p, request("/a", { "x-tier": "free" }), 0)[0]!.bucket, "default");
    assert.equal(
      limiter.take(p, request("/a", { "x-tier": "free" }, "POST"), 0)[0]!.bucket,
      "buckets[1]",
    );
  });
  await t.step("buckets refill lazily, whole intervals only", () => {
    assert.equal(limiter.take(p, request("/limited"), 1999)[0]!.allowed, false);
    assert.equal(limiter.take(p, request("/limited"), 2000)[0]!.allowed, true);
  });
});

Deno.test("createLimiter() counts without refusing when enforce is false", () => {
  const limiter = createLimiter();
  const p = [policy({ enforce: false })];
  const verdicts = [0, 1, 2].map(() => limiter.take(p, request("/limited"), 0)[0]!);
  assert.deepEqual(verdicts.map((v) => v.allowed), [true, true, true]);
  assert.equal(verdicts[2]!.remaining, 0);
});

Deno.test("limitHeaders() writes X-RateLimit-* and, on a refusal, Retry-After and RateLimit", () => {
  const limiter = createLimiter();
  const p = [policy()];
  const allowed = new Headers();
  limitHeaders(limiter.take(p, request("/limited"), 0), allowed);
  assert.equal(allowed.get("x-ratelimit-limit"), "1");
  assert.equal(allowed.get("x-ratelimit-remaining"), "0");
  assert.equal(allowed.get("retry-after"), null);
  const refused = new Headers();
  limitHeaders(limiter.take(p, request("/limited"), 500), refused);
  assert.equal(refused.get("retry-after"), "2");
  assert.equal(refused.get("ratelimit-policy"), '"ns/rl/buckets[0]";q=1;w=2');
  assert.equal(refused.get("ratelimit"), '"ns/rl/buckets[0]";r=0;t=2');
});

Deno.test("createLimiter() keeps bucket state only for retained policies", () => {
  const limiter = createLimiter();
  const p = [policy()];
  limiter.take(p, request("/limited"), 0);
  assert.equal(limiter.take(p, request("/limited"), 0)[0]!.allowed, false);
  limiter.retain(new Set());
  assert.equal(limiter.take(p, request("/limited"), 0)[0]!.allowed, true);
});
