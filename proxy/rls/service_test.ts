import assert from "node:assert/strict";
import { createMemoryStore } from "../ratelimit/memory_store.ts";
import { createRedisStore } from "../ratelimit/redis_store.ts";
import { parseRlsConfig, type RlsConfig } from "./config.ts";
import { limitFor } from "./match.ts";
import { createRlsMetrics } from "./metrics.ts";
import { createRlsService, type RlsRequest } from "./service.ts";

const CONFIG = `
domain: shop
descriptors:
  - key: category
    value: account
    rate_limit: { unit: minute, requests_per_unit: 4, replaces: [{ name: per_user }] }
  - key: user
    rate_limit: { unit: minute, requests_per_unit: 3, name: per_user }
  - key: path
    value: /api/*
    rate_limit: { unit: hour, requests_per_unit: 2 }
  - key: path
    value: /api/admin
    rate_limit: { unit: minute, requests_per_unit: 1 }
  - key: path
    rate_limit: { unit: second, requests_per_unit: 5 }
  - key: client
    rate_limit: { unit: minute, requests_per_unit: 2 }
    descriptors:
      - key: method
        value: GET
        rate_limit: { unit: minute, requests_per_unit: 1 }
      - key: method
        rate_limit: { unlimited: true }
  - key: shady
    shadow_mode: true
    rate_limit: { unit: minute, requests_per_unit: 1 }
  - key: quota
    quota_mode: true
    rate_limit: { unit: minute, requests_per_unit: 1 }
  - key: free
    rate_limit: { unlimited: true }
`;

function config(): RlsConfig {
  const parsed = parseRlsConfig([{ name: "shop.yaml", text: CONFIG }]);
  if (!parsed.ok) throw new Error(parsed.error.join("\n"));
  return parsed.value;
}

const d = (...pairs: [string, string][]) => ({
  entries: pairs.map(([key, value]) => ({ key, value })),
});

Deno.test("parseRlsConfig() rejects what envoyproxy/ratelimit rejects", async (t) => {
  const cases = [
    {
      name: "unknown key",
      text: "domain: a\ndescriptors: [{ key: k, limit: 1 }]",
      says: "unknown key",
    },
    { name: "empty domain", text: "descriptors: []", says: "empty domain" },
    { name: "empty key", text: "domain: a\ndescriptors: [{ value: v }]", says: "empty key" },
    {
      name: "duplicate composite key",
      text: "domain: a\ndescriptors: [{ key: k, value: v }, { key: k, value: v }]",
      says: 'duplicate descriptor composite key "a.k_v"',
    },
    {
      name: "unit with unlimited",
      text: "domain: a\ndescriptors: [{ key: k, rate_limit: { unit: second, unlimited: true } }]",
      says: "should not specify rate limit unit when unlimited",
    },
    {
      name: "unknown unit",
      text: "domain: a\ndescriptors: [{ key: k, rate_limit: { unit: fortnight } }]",
      says: 'invalid rate limit unit "fortnight"',
    },
    {
      name: "replaces itself",
      text:
        "domain: a\ndescriptors: [{ key: k, rate_limit: { unit: second, name: n, replaces: [{ name: n }] } }]",
      says: "replaces should not contain name of same descriptor",
    },
    {
      name: "empty replaces entry",
      text: "domain: a\ndescriptors: [{ key: k, rate_limit: { unit: second, replaces: [{}] } }]",
      says: "empty replaces entry",
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const parsed = parseRlsConfig([{ name: "bad.yaml", text: tc.text }]);
      assert.equal(parsed.ok, false);
      assert.ok(
        !parsed.ok && parsed.error.some((p) => p.startsWith("bad.yaml: ") && p.includes(tc.says)),
        JSON.stringify(parsed),
      );
    });
  }
  await t.step("duplicate domain across files", () => {
    const parsed = parseRlsConfig([
      { name: "one.yaml", text: "domain: a" },
      { name: "two.yaml", text: "domain: a" },
    ]);
    assert.deepEqual(parsed, {
      ok: false,
      error: ['two.yaml: duplicate domain "a" in config file'],
    });
  });
});

Deno.test("limitFor() walks the descriptor tree as envoyproxy/ratelimit's GetLimit", async (t) => {
  const cases = [
    {
      name: "exact value wins over wildcard",
      descriptor: d(["path", "/api/admin"]),
      limit: "MINUTE/1",
    },
    { name: "wildcard prefix", descriptor: d(["path", "/api/orders"]), limit: "HOUR/2" },
    { name: "bare key for other values", descriptor: d(["path", "/web"]), limit: "SECOND/5" },
    { name: "nested exact", descriptor: d(["client", "c1"], ["method", "GET"]), limit: "MINUTE/1" },
    {
      name: "nested unlimited",
      descriptor: d(["client", "c1"], ["method", "PUT"]),
      limit: "unlimited",
    },
    { name: "parent alone", descriptor: d(["client", "c1"]), limit: "MINUTE/2" },
    { name: "deeper than the config", descriptor: d(["user", "u"], ["x", "y"]), limit: undefined },
    { name: "unknown key", descriptor: d(["nope", "x"]), limit: undefined },
  ];
  const loaded = config();
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const limit = limitFor(loaded, "shop", tc.descriptor);
      const text = limit === undefined
        ? undefined
        : limit.unlimited
        ? "unlimited"
        : `${limit.unit}/${limit.requestsPerUnit}`;
      assert.equal(text, tc.limit);
    });
  }
  assert.equal(limitFor(loaded, "other", d(["user", "u"])), undefined);
});

/** 20 s into a minute: duration_until_reset of a minute window is 40. */
const NOW = Date.UTC(2026, 0, 1, 10, 0, 20);

function service(options: { responseHeaders?: boolean } = {}) {
  const loaded = config();
  return createRlsService({
    config: () => loaded,
    store: createMemoryStore({ maxKeys: 1000 }),
    responseHeaders: options.responseHeaders ?? false,
    failureMode: "error",
    now: () => NOW,
  });
}

const request = (descriptors: RlsRequest["descriptors"], hitsAddend = 0): RlsRequest => ({
  domain: "shop",
  descriptors,
  hitsAddend,
});

async function codes(
  call: ReturnType<typeof service>,
  req: RlsRequest,
  times: number,
): Promise<string[]> {
  const out = [];
  for (let i = 0; i < times; i++) {
    const outcome = await call(req);
    assert.ok(outcome.ok);
    out.push(
      `${outcome.response.overallCode}:${outcome.response.statuses.map((s) => s.limitRemaining)}`,
    );
  }
  return out;
}

Deno.test("createRlsService() counts fixed windows as envoyproxy/ratelimit", async (t) => {
  await t.step("remaining counts down, then OVER_LIMIT", async () => {
    assert.deepEqual(await codes(service(), request([d(["user", "u1"])]), 4), [
      "OK:2",
      "OK:1",
      "OK:0",
      "OVER_LIMIT:0",
    ]);
  });
  await t.step("status carries the limit and the reset of its window", async () => {
    const outcome = await service()(request([d(["user", "u1"]), d(["nope", "x"])]));
    assert.deepEqual(outcome, {
      ok: true,
      response: {
        overallCode: "OK",
        statuses: [
          {
            code: "OK",
            currentLimit: { requestsPerUnit: 3, unit: "MINUTE", name: "per_user" },
            limitRemaining: 2,
            durationUntilResetSeconds: 40,
          },
          { code: "OK", limitRemaining: 0 },
        ],
        responseHeaders: [],
      },
    });
  });
  await t.step("hits_addend of the request, then of the descriptor", async () => {
    const call = service();
    assert.deepEqual(await codes(call, request([d(["user", "u2"])], 2), 1), ["OK:1"]);
    assert.deepEqual(await codes(call, request([{ ...d(["user", "u2"]), hitsAddend: 2 }]), 1), [
      "OVER_LIMIT:0",
    ]);
  });
  await t.step("shadow mode answers OK past the limit", async () => {
    assert.deepEqual(await codes(service(), request([d(["shady", "s"])]), 2), ["OK:0", "OK:0"]);
  });
  await t.step("quota mode reports but never decides", async () => {
    assert.deepEqual(await codes(service(), request([d(["quota", "q"])]), 2), ["OK:0", "OK:0"]);
  });
  await t.step("unlimited answers the largest remaining", async () => {
    assert.deepEqual(await codes(service(), request([d(["free", "f"])]), 1), ["OK:4294967295"]);
  });
  await t.step("a matched limit's replaces drops the named one", async () => {
    const call = service();
    const both = request([d(["category", "account"]), d(["user", "u3"])]);
    assert.deepEqual(await codes(call, both, 5), [
      "OK:3,0",
      "OK:2,0",
      "OK:1,0",
      "OK:0,0",
      "OVER_LIMIT:0,0",
    ]);
  });
  await t.step("headers come from the descriptor with the least remaining", async () => {
    const outcome = await service({ responseHeaders: true })(
      request([d(["user", "u4"]), d(["path", "/api/admin"])]),
    );
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.response.responseHeaders, [
      { key: "x-ratelimit-limit", value: "1" },
      { key: "x-ratelimit-remaining", value: "0" },
      { key: "x-ratelimit-reset", value: "40" },
    ]);
  });
  await t.step("missing domain and descriptors are invalid", async () => {
    const call = service();
    assert.deepEqual(await call({ domain: "", descriptors: [d(["a", "b"])], hitsAddend: 0 }), {
      ok: false,
      code: "invalid",
      message: "rate limit domain must not be empty",
    });
    assert.equal((await call(request([]))).ok, false);
  });
});

Deno.test("createRlsService() applies the failure mode when Redis is down", async (t) => {
  const loaded = config();
  // Nothing listens on port 1: every command fails at once (no offline queue).
  const store = createRedisStore({ url: "redis://127.0.0.1:1", commandTimeoutMs: 200 });
  try {
    for (
      const [mode, expected] of [
        ["error", { ok: false, code: "unavailable", message: "rate limit store unavailable" }],
        ["allow", "OK"],
        ["deny", "OVER_LIMIT"],
      ] as const
    ) {
      await t.step(mode, async () => {
        const call = createRlsService({
          config: () => loaded,
          store,
          responseHeaders: false,
          failureMode: mode,
        });
        const outcome = await call(request([d(["user", "u"])]));
        if (typeof expected === "string") {
          assert.ok(outcome.ok);
          assert.equal(outcome.response.overallCode, expected);
        } else assert.deepEqual(outcome, expected);
      });
    }
  } finally {
    await store.close();
  }
});

Deno.test("createRlsService() counts hits per limit key; detailed_metric keys by request", async () => {
  const parsed = parseRlsConfig([{
    name: "m.yaml",
    text: `domain: m
descriptors:
  - key: plain
    rate_limit: { unit: minute, requests_per_unit: 1 }
  - key: detailed
    detailed_metric: true
    rate_limit: { unit: minute, requests_per_unit: 5 }
  - key: shadow
    shadow_mode: true
    rate_limit: { unit: minute, requests_per_unit: 0 }
`,
  }]);
  assert.ok(parsed.ok);
  const metrics = createRlsMetrics();
  const call = createRlsService({
    config: () => parsed.value,
    store: createMemoryStore({ maxKeys: 100 }),
    responseHeaders: false,
    failureMode: "error",
    metrics,
  });
  const req = (key: string, value: string, hitsAddend = 0): RlsRequest => ({
    domain: "m",
    descriptors: [d([key, value])],
    hitsAddend,
  });
  await call(req("plain", "a"));
  await call(req("plain", "a", 3));
  await call(req("detailed", "x", 2));
  await call(req("shadow", "s"));
  await call({ domain: "", descriptors: [], hitsAddend: 0 });
  const text = metrics.render();
  for (
    const line of [
      'apigw_rls_hits_total{key="m.plain",result="within_limit"} 1',
      'apigw_rls_hits_total{key="m.plain",result="over_limit"} 3',
      'apigw_rls_hits_total{key="m.detailed_x",result="within_limit"} 2',
      'apigw_rls_hits_total{key="m.shadow",result="shadow_mode"} 1',
      'apigw_rls_failed_total{reason="invalid"} 1',
    ]
  ) assert.ok(text.includes(`${line}\n`), `${line} in\n${text}`);
});
