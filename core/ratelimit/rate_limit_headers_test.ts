import assert from "node:assert/strict";
import type { GlobalBucket } from "./global.ts";
import { rateLimitHeaders } from "./rate_limit_headers.ts";

const BUCKET: GlobalBucket = {
  name: "default",
  policy: "shop/orders-limit/default",
  bucket: { maxTokens: 10, tokensPerFill: 1, fillIntervalMs: 6000 },
  failureMode: "local",
  headers: {},
};

Deno.test("rateLimitHeaders() gives draft-11 fields and Retry-After on a deny", async (t) => {
  await t.step("allow: remaining and seconds until full", () => {
    assert.deepEqual(
      rateLimitHeaders(BUCKET, {
        allowed: true,
        remaining: 7,
        retryAfterMs: 0,
        fullAfterMs: 17_500,
      }),
      {
        "ratelimit-policy": '"shop/orders-limit/default";q=10;w=60',
        ratelimit: '"shop/orders-limit/default";r=7;t=18',
      },
    );
  });
  await t.step("deny: Retry-After rounds up to at least 1 second", () => {
    const headers = rateLimitHeaders(BUCKET, {
      allowed: false,
      remaining: 0,
      retryAfterMs: 120,
      fullAfterMs: 60_000,
    });
    assert.equal(headers["retry-after"], "1");
    assert.equal(headers.ratelimit, '"shop/orders-limit/default";r=0;t=1');
  });
});
