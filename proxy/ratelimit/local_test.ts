import assert from "node:assert/strict";
import { checkBuckets } from "../../core/ratelimit/buckets.ts";
import { localLimit, localLimitHeaders, takeLocal } from "./local.ts";
import { createMemoryStore } from "./memory_store.ts";

function limit(options: { enforce?: boolean; headers?: boolean } = {}) {
  const limits = checkBuckets(
    { maxTokens: 2, tokensPerFill: 1, fillInterval: "1s" },
    [{ path: "/limited", bucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "2s" } }, {
      headers: { "x-tier": "free", method: "POST" },
      bucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1s" },
    }],
  );
  assert.ok(limits.ok);
  return localLimit("ns/rl", limits.value, {
    enforce: options.enforce ?? true,
    responseHeaders: options.headers ?? true,
  });
}

const request = (path: string, headers: Record<string, string> = {}, method = "GET") => ({
  method,
  scheme: "http",
  host: "orders.local",
  path,
  headers: new Headers(headers),
  peer: "127.0.0.1",
});

/** A memory store on a clock the test moves. */
function store() {
  const clock = { now: 0 };
  return { clock, store: createMemoryStore({ maxKeys: 100, now: () => clock.now }) };
}

Deno.test("takeLocal() takes tokens from the first matching bucket, else the default", async (t) => {
  const { clock, store: buckets } = store();
  const l = [limit()];
  await t.step("the path bucket matches the path", () => {
    assert.equal(takeLocal(buckets, l, request("/limited"))[0]!.bucket.name, "0");
    clock.now = 10;
    assert.equal(takeLocal(buckets, l, request("/limited"))[0]!.take.allowed, false);
    assert.equal(takeLocal(buckets, l, request("/other"))[0]!.bucket.name, "default");
  });
  await t.step("a header bucket needs every entry, pseudo headers included", () => {
    assert.equal(
      takeLocal(buckets, l, request("/a", { "x-tier": "free" }))[0]!.bucket.name,
      "default",
    );
    assert.equal(
      takeLocal(buckets, l, request("/a", { "x-tier": "free" }, "POST"))[0]!.bucket.name,
      "1",
    );
  });
  await t.step("buckets refill lazily, whole intervals only", () => {
    clock.now = 1999;
    assert.equal(takeLocal(buckets, l, request("/limited"))[0]!.take.allowed, false);
    clock.now = 2000;
    assert.equal(takeLocal(buckets, l, request("/limited"))[0]!.take.allowed, true);
  });
});

Deno.test("takeLocal() counts without refusing when enforce is false", () => {
  const { store: buckets } = store();
  const l = [limit({ enforce: false })];
  const verdicts = [0, 1, 2].map(() => takeLocal(buckets, l, request("/limited"))[0]!);
  assert.deepEqual(verdicts.map((v) => v.take.allowed), [true, false, false]);
  const headers = new Headers();
  localLimitHeaders(verdicts.slice(2), headers);
  assert.equal(headers.get("retry-after"), null, "shadow mode lets the request on");
  assert.equal(headers.get("x-ratelimit-remaining"), "0");
});

Deno.test("localLimitHeaders() writes X-RateLimit-* and, on a refusal, Retry-After and RateLimit", () => {
  const { clock, store: buckets } = store();
  const l = [limit()];
  const allowed = new Headers();
  localLimitHeaders(takeLocal(buckets, l, request("/limited")), allowed);
  assert.equal(allowed.get("x-ratelimit-limit"), "1");
  assert.equal(allowed.get("x-ratelimit-remaining"), "0");
  assert.equal(allowed.get("x-ratelimit-reset"), "2");
  assert.equal(allowed.get("retry-after"), null);
  clock.now = 500;
  const refused = new Headers();
  localLimitHeaders(takeLocal(buckets, l, request("/limited")), refused);
  assert.equal(refused.get("retry-after"), "2");
  assert.equal(refused.get("x-ratelimit-reset"), "2");
  assert.equal(refused.get("ratelimit-policy"), '"ns/rl/0";q=1;w=2');
  assert.equal(refused.get("ratelimit"), '"ns/rl/0";r=0;t=2');
});

Deno.test("localLimit() keeps bucket state while the RateLimit's limits are unchanged", () => {
  const { store: buckets } = store();
  takeLocal(buckets, [limit()], request("/limited"));
  assert.equal(takeLocal(buckets, [limit()], request("/limited"))[0]!.take.allowed, false);
  const changed = [limit({ headers: false })];
  assert.equal(takeLocal(buckets, changed, request("/limited"))[0]!.take.allowed, true);
});
