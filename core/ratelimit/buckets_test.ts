import assert from "node:assert/strict";
import type { BucketConfig, BucketSpec } from "../../api/ratelimit/v1alpha1.ts";
import { checkBuckets } from "./buckets.ts";

const DEFAULT: BucketSpec = { maxTokens: 10, tokensPerFill: 5, fillInterval: "1s" };

function bucket(
  fillInterval = "1s",
  match: Omit<BucketConfig, "bucket"> = { path: "/a" },
): BucketConfig {
  return { ...match, bucket: { maxTokens: 10, tokensPerFill: 5, fillInterval } };
}

interface Case {
  name: string;
  defaultBucket?: BucketSpec;
  buckets?: BucketConfig[];
  message: string;
}

// Upstream's interval checks (docs/spec/ratelimit.md §3 step 1), texts verbatim.
const UPSTREAM: Case[] = [
  {
    name: "default interval below 50ms",
    defaultBucket: { ...DEFAULT, fillInterval: "49ms" },
    message: "defaultBucket: fillInterval must be greater or equal 50ms",
  },
  {
    name: "bucket interval below 50ms",
    defaultBucket: { ...DEFAULT, fillInterval: "50ms" },
    buckets: [bucket("100ms"), bucket("40ms", { path: "/b" })],
    message: "bucket '[1]': fillInterval must be greater or equal 50ms",
  },
  {
    name: "bucket interval not a multiple of the default",
    buckets: [bucket("1500ms")],
    message: "bucket '[0]': fillInterval must be a multiple of defaultBucket fillInterval",
  },
  {
    name: "interval checks run before apigw's checks of earlier buckets",
    buckets: [
      { path: "no-slash", bucket: { ...DEFAULT, maxTokens: 0 } },
      bucket("1500ms", { path: "/b" }),
    ],
    message: "bucket '[1]': fillInterval must be a multiple of defaultBucket fillInterval",
  },
];

// apigw's additions (weak spots of docs/spec/ratelimit.md §1, §3, §4.4), each an Envoy NACK or a bucket that
// can never match while upstream reports Ready.
const APIGW: Case[] = [
  {
    name: "default interval in days",
    defaultBucket: { ...DEFAULT, fillInterval: "1d" },
    message:
      `defaultBucket: fillInterval "1d" is invalid: unit "d" is not supported (use ns, us, ms, s, m or h)`,
  },
  {
    name: "bucket interval in weeks",
    buckets: [bucket("2w")],
    message:
      `bucket '[0]': fillInterval "2w" is invalid: unit "w" is not supported (use ns, us, ms, s, m or h)`,
  },
  {
    name: "default maxTokens 0",
    defaultBucket: { ...DEFAULT, maxTokens: 0 },
    message: "defaultBucket: maxTokens must be between 1 and 4294967295 (got 0)",
  },
  {
    name: "bucket tokensPerFill above uint32",
    buckets: [{ path: "/a", bucket: { ...DEFAULT, tokensPerFill: 4_294_967_296 } }],
    message: "bucket '[0]': tokensPerFill must be between 1 and 4294967295 (got 4294967296)",
  },
  {
    name: "empty path and empty headers",
    buckets: [bucket("1s", { path: "", headers: {} })],
    message: "bucket '[0]': path and headers must not both be empty",
  },
  {
    name: "path without leading slash",
    buckets: [bucket("1s", { path: "ip" })],
    message: `bucket '[0]': path "ip" must start with '/'`,
  },
  {
    name: "header name with a space",
    buckets: [bucket("1s", { headers: { "x user": "a" } })],
    message: `bucket '[0]': header name "x user" is not a valid HTTP header name`,
  },
  {
    name: "empty header name",
    buckets: [bucket("1s", { headers: { "": "a" } })],
    message: `bucket '[0]': header name "" is not a valid HTTP header name`,
  },
  {
    name: "header path next to the path field",
    buckets: [bucket("1s", { path: "/a", headers: { path: "/b" } })],
    message:
      `bucket '[0]': header "path" and the path field both match the request path; set only one`,
  },
  {
    name: "two buckets with the same match",
    buckets: [
      bucket("1s", { path: "/a", headers: { b: "1", a: "2" } }),
      bucket("1s", { path: "/x" }),
      bucket("2s", { headers: { a: "2", b: "1" }, path: "/a" }),
    ],
    message: "bucket '[2]': path and headers are the same as in bucket '[0]'",
  },
];

Deno.test("checkBuckets() reports upstream's interval failures verbatim", async (t) => {
  for (const tc of UPSTREAM) {
    await t.step(tc.name, () => {
      const result = checkBuckets(tc.defaultBucket ?? DEFAULT, tc.buckets ?? []);
      assert.deepEqual(result, { ok: false, error: tc.message });
    });
  }
});

Deno.test("checkBuckets() rejects what Envoy would reject or never match (apigw fixes)", async (t) => {
  for (const tc of APIGW) {
    await t.step(tc.name, () => {
      const result = checkBuckets(tc.defaultBucket ?? DEFAULT, tc.buckets ?? []);
      assert.deepEqual(result, { ok: false, error: tc.message });
    });
  }
});

Deno.test("checkBuckets() accepts valid buckets and yields their intervals in nanoseconds", async (t) => {
  const cases: Array<{ name: string; buckets: BucketConfig[] }> = [
    { name: "no extra buckets", buckets: [] },
    { name: "equal intervals", buckets: [bucket("1s")] },
    { name: "a multiple written differently", buckets: [bucket("1m30s")] },
    {
      name: "an empty path next to headers",
      buckets: [bucket("1s", { path: "", headers: { a: "1" } })],
    },
    {
      name: "pseudo header names",
      buckets: [bucket("1s", { headers: { ":authority": "a.example", method: "GET" } })],
    },
    {
      name: "the same path with other headers",
      buckets: [bucket("1s"), bucket("1s", { path: "/a", headers: { x: "1" } })],
    },
    {
      name: "bounds included",
      buckets: [{
        path: "/a",
        bucket: { maxTokens: 4_294_967_295, tokensPerFill: 1, fillInterval: "2s" },
      }],
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const result = checkBuckets(DEFAULT, tc.buckets);
      assert.equal(result.ok, true, result.ok ? "" : result.error);
    });
  }
  await t.step("intervals and matches", () => {
    const result = checkBuckets({ ...DEFAULT, fillInterval: "500ms" }, [
      bucket("1m30s", { headers: { a: "1" } }),
    ]);
    assert.deepEqual(result, {
      ok: true,
      value: {
        defaultBucket: { maxTokens: 10, tokensPerFill: 5, fillInterval: 500_000_000n },
        buckets: [{
          path: "",
          headers: { a: "1" },
          bucket: { maxTokens: 10, tokensPerFill: 5, fillInterval: 90_000_000_000n },
        }],
      },
    });
  });
});
