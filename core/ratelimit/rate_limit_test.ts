import assert from "node:assert/strict";
import type { KubeObject } from "../../api/meta.ts";
import { rateLimitCR } from "./_testing.ts";
import { parseRateLimit } from "./rate_limit.ts";

Deno.test("parseRateLimit() reads the spec with the schema defaults", async (t) => {
  await t.step("enforce defaults to true, response headers to false, no buckets", () => {
    const parsed = parseRateLimit(rateLimitCR());
    assert.deepEqual(parsed, {
      ok: true,
      value: {
        name: "orders",
        namespace: "shop",
        selectorLabels: { app: "orders" },
        defaultBucket: { maxTokens: 10, tokensPerFill: 5, fillInterval: "1s" },
        buckets: [],
        enforce: true,
        enableResponseHeaders: false,
      },
    });
  });
  await t.step("uid, flags and buckets as written; unknown fields pruned", () => {
    const cr = rateLimitCR("orders", {
      enforce: false,
      enableResponseHeaders: true,
      extra: 1,
      local: {
        defaultBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1s" },
        buckets: [{
          headers: { a: "1" },
          bucket: { maxTokens: 2, tokensPerFill: 2, fillInterval: "2s" },
        }],
      },
    }, { uid: "u-1" });
    const parsed = parseRateLimit(cr);
    assert.equal(parsed.ok, true);
    if (!parsed.ok) return;
    assert.equal(parsed.value.uid, "u-1");
    assert.equal(parsed.value.enforce, false);
    assert.equal(parsed.value.enableResponseHeaders, true);
    assert.deepEqual(parsed.value.buckets, [{
      headers: { a: "1" },
      bucket: { maxTokens: 2, tokensPerFill: 2, fillInterval: "2s" },
    }]);
  });
});

Deno.test("parseRateLimit() rejects what the apiserver would, in its words", async (t) => {
  const prefix = 'RateLimit.gateway.kyma-project.io "orders" is invalid: ';
  const cases: Array<{ name: string; cr: KubeObject; message: string }> = [
    {
      name: "a bucket without path and headers (CEL rule)",
      cr: rateLimitCR("orders", {
        local: {
          defaultBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1s" },
          buckets: [{ bucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1s" } }],
        },
      }),
      message:
        `${prefix}spec.local.buckets[0]: Invalid value: "object": At least one of 'path' or 'headers' must be set`,
    },
    {
      name: "an empty selector",
      cr: rateLimitCR("orders", { selectorLabels: {} }),
      message:
        `${prefix}spec.selectorLabels: Invalid value: 0: spec.selectorLabels in body should have at least 1 properties`,
    },
    {
      name: "several problems in a list",
      cr: rateLimitCR("orders", { local: { defaultBucket: { maxTokens: "many" } } }),
      message: `${prefix}[spec.local.defaultBucket.tokensPerFill: Required value, ` +
        `spec.local.defaultBucket.fillInterval: Required value, ` +
        `spec.local.defaultBucket.maxTokens: Invalid value: "string": spec.local.defaultBucket.maxTokens in body must be of type integer: "string"]`,
    },
    {
      name: "no spec (upstream would select every pod)",
      cr: {
        apiVersion: "gateway.kyma-project.io/v1alpha1",
        kind: "RateLimit",
        metadata: { name: "orders", namespace: "shop" },
      },
      message: `${prefix}spec: Required value`,
    },
    {
      name: "no namespace",
      cr: { ...rateLimitCR(), metadata: { name: "orders" } },
      message: `${prefix}metadata.namespace: Required value`,
    },
    {
      name: "an unserved version",
      cr: { ...rateLimitCR(), apiVersion: "gateway.kyma-project.io/v1" },
      message:
        `${prefix}apiVersion: Unsupported value: "gateway.kyma-project.io/v1": supported values: "gateway.kyma-project.io/v1alpha1"`,
    },
  ];
  for (const tc of cases) {
    await t.step(
      tc.name,
      () => assert.deepEqual(parseRateLimit(tc.cr), { ok: false, error: tc.message }),
    );
  }
});
