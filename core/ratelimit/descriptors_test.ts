import assert from "node:assert/strict";
import type { Limit } from "./buckets.ts";
import { descriptorsFor, rateLimitsFor } from "./descriptors.ts";

const TOKENS = { maxTokens: 10, tokensPerFill: 5, fillInterval: 60_000_000_000n };
const ENVOY_TOKENS = { max_tokens: 10, tokens_per_fill: 5, fill_interval: "60.000000s" };

function limit(path: string, headers: Record<string, string> = {}): Limit {
  return { path, headers, bucket: TOKENS };
}

Deno.test("descriptorsFor() builds one descriptor per bucket: path first, headers sorted", async (t) => {
  const cases: Array<
    { name: string; limit: Limit; entries: Array<{ key: string; value: string }> }
  > = [
    { name: "path only", limit: limit("/ip"), entries: [{ key: "path", value: "/ip" }] },
    {
      name: "header only, name as written",
      limit: limit("", { "X-Rate-Limited": "true" }),
      entries: [{ key: "X-Rate-Limited", value: "true" }],
    },
    {
      name: "headers in ascending byte order after the path",
      limit: limit("/ip", { "x-b": "2", "X-C": "3", "x-a": "1" }),
      entries: [
        { key: "path", value: "/ip" },
        { key: "X-C", value: "3" },
        { key: "x-a", value: "1" },
        { key: "x-b", value: "2" },
      ],
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      assert.deepEqual(descriptorsFor([tc.limit]), [{
        entries: tc.entries,
        token_bucket: ENVOY_TOKENS,
      }]);
    });
  }
});

Deno.test("rateLimitsFor() has one entry per distinct key list, pseudo headers prefixed", async (t) => {
  const action = (header: string, key: string) => ({
    request_headers: { header_name: header, descriptor_key: key },
  });
  const cases: Array<{ name: string; limits: Limit[]; expected: unknown }> = [
    { name: "no buckets: no entries", limits: [], expected: [] },
    {
      name: "a path bucket reads :path",
      limits: [limit("/ip")],
      expected: [{ actions: [action(":path", "path")] }],
    },
    {
      name: "method and scheme headers read pseudo headers, other spellings do not",
      limits: [limit("", { method: "POST", scheme: "https", Method: "x" })],
      expected: [{
        actions: [
          action("Method", "Method"),
          action(":method", "method"),
          action(":scheme", "scheme"),
        ],
      }],
    },
    {
      name: "buckets with the same keys share upstream's single entry",
      limits: [limit("/a", { x: "1" }), limit("/b", { x: "2" })],
      expected: [{ actions: [action(":path", "path"), action("x", "x")] }],
    },
    {
      name: "a path bucket next to a header bucket gets its own entry (weak-spot fix)",
      limits: [limit("/a"), limit("", { x: "1" }), limit("/b")],
      expected: [{ actions: [action(":path", "path")] }, { actions: [action("x", "x")] }],
    },
  ];
  for (const tc of cases) {
    await t.step(
      tc.name,
      () => assert.deepEqual(rateLimitsFor(descriptorsFor(tc.limits)), tc.expected),
    );
  }
});
