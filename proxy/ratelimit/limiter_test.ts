import assert from "node:assert/strict";
import { apiRule } from "../../core/authz/_testing.ts";
import { globalRateLimit, limitedApp, ordersPod } from "./_testing.ts";
import { createMemoryStore } from "./memory_store.ts";

async function statuses(
  app: ReturnType<typeof limitedApp>,
  n: number,
  headers: Record<string, string> = {},
  path = "/",
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const response = await app.check(path, headers);
    await response.body?.cancel();
    out.push(response.status);
  }
  return out;
}

Deno.test("createGlobalLimiter() enforces the bucket per key in memory without Redis", async (t) => {
  const app = limitedApp([globalRateLimit({}), ordersPod()]);
  await t.step("three tokens, then 429", async () => {
    assert.deepEqual(await statuses(app, 4, { "x-api-key": "a" }), [200, 200, 200, 429]);
  });
  await t.step("another key has its own bucket", async () => {
    assert.deepEqual(await statuses(app, 1, { "x-api-key": "b" }), [200]);
  });
  await t.step(
    "the 429 carries Retry-After, the RateLimit fields and a quota-exceeded body",
    async () => {
      const response = await app.check("/", { "x-api-key": "a" });
      assert.equal(response.status, 429);
      assert.ok(Number(response.headers.get("retry-after")) >= 1);
      assert.equal(
        response.headers.get("ratelimit-policy"),
        '"shop/orders-limit/default";q=3;w=10800',
      );
      assert.match(
        response.headers.get("ratelimit") ?? "",
        /^"shop\/orders-limit\/default";r=0;t=\d+$/,
      );
      const body = await response.json();
      assert.equal(body.type, "https://iana.org/assignments/http-problem-types#quota-exceeded");
      assert.deepEqual(body["violated-policies"], ["shop/orders-limit/default"]);
    },
  );
  await t.step("known-empty keys are rejected from memory and counted", () => {
    assert.match(
      app.metrics(),
      /apigw_ratelimit_prerejected_total\{ratelimit="shop\/orders-limit",bucket="default"\} [1-9]/,
    );
  });
});

Deno.test("createGlobalLimiter() leaves checks from other workloads alone", async () => {
  const app = limitedApp([globalRateLimit({}), ordersPod("10.0.0.1")]);
  for (let i = 0; i < 5; i++) {
    const response = await app.check("/", { "x-api-key": "a" });
    assert.equal(response.status, 404, "no rule and no limit of this peer: the pipeline's answer");
  }
});

Deno.test("createGlobalLimiter() picks the first matching bucket, else the default", async () => {
  const app = limitedApp([
    globalRateLimit({
      buckets: [{ path: "/login", bucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1h" } }],
    }),
    ordersPod(),
  ]);
  assert.deepEqual(await statuses(app, 2, { "x-api-key": "a" }, "/login"), [200, 429]);
  assert.deepEqual(await statuses(app, 2, { "x-api-key": "a" }, "/login?x=1"), [429, 429]);
  assert.deepEqual(await statuses(app, 1, { "x-api-key": "a" }, "/other"), [200]);
});

Deno.test("createGlobalLimiter() counts but allows in shadow mode (enforce: false)", async () => {
  const app = limitedApp([globalRateLimit({ enforce: false }), ordersPod()]);
  assert.deepEqual(await statuses(app, 5, { "x-api-key": "a" }), [200, 200, 200, 200, 200]);
  assert.match(app.metrics(), /result="shadow_limited"\} 2/);
  assert.match(app.metrics(), /result="allowed"\} 3/);
});

Deno.test("createGlobalLimiter() keys client addresses behind trusted hops", async (t) => {
  const app = limitedApp([
    globalRateLimit({
      key: { clientAddress: { trustedHops: 1 } },
      defaultBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1h" },
    }),
    ordersPod(),
  ]);
  await t.step("a forged left-most entry does not make a new client", async () => {
    const first = await app.check("/", { "x-forwarded-for": "1.1.1.1, 9.9.9.9, 10.0.0.7" });
    const forged = await app.check("/", { "x-forwarded-for": "2.2.2.2, 9.9.9.9, 10.0.0.7" });
    assert.deepEqual([first.status, forged.status], [200, 429]);
  });
  await t.step("another client address has its own bucket", async () => {
    const other = await app.check("/", { "x-forwarded-for": "8.8.8.8, 10.0.0.7" });
    assert.equal(other.status, 200);
  });
});

Deno.test("createGlobalLimiter() returns the fields on allow with enableResponseHeaders", async () => {
  const app = limitedApp([
    globalRateLimit({}, { enableResponseHeaders: true }),
    apiRule("orders", [{ path: "/{**}", methods: ["GET"], noAuth: true }]),
    ordersPod(),
  ]);
  const response = await app.check("/x", { "x-api-key": "a" });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("ratelimit") ?? "", /;r=2;t=\d+$/);
  assert.equal(response.headers.get("retry-after"), null);
});

Deno.test("createMemoryStore() holds at most maxKeys keys under random keys (§8 #32)", () => {
  const store = createMemoryStore({ maxKeys: 100 });
  const bucket = { maxTokens: 5, tokensPerFill: 1, fillIntervalMs: 60_000 };
  for (let i = 0; i < 10_000; i++) store.take(crypto.randomUUID(), bucket, "tokenBucket");
  assert.equal(store.size(), 100);
});
