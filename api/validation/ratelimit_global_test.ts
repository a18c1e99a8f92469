import assert from "node:assert/strict";
import { RateLimitSpec } from "../ratelimit/v1alpha1.ts";
import { validateSchema } from "../schema/validate.ts";
import { formatProblem } from "../schema/problem.ts";
import type { ValidationFacts } from "./facts.ts";
import { validateRateLimit } from "./ratelimit.ts";
import { pod } from "./_testing.ts";

const FACTS: ValidationFacts = {
  complete: true,
  pods: [pod("rl", "web-a", { app: "web" }, {
    annotations: { "sidecar.istio.io/status": "{}" },
  })],
  rateLimits: [{ namespace: "rl", name: "web-limit", selectorLabels: { app: "web" } }],
};

function bucket(fillInterval: string, maxTokens = 20, tokensPerFill = 20) {
  return { maxTokens, tokensPerFill, fillInterval };
}

function spec(global: Record<string, unknown>): Record<string, unknown> {
  return {
    selectorLabels: { app: "web" },
    local: { defaultBucket: bucket("1m") },
    global: Object.fromEntries(
      Object.entries({
        key: { clientAddress: { trustedHops: 1 } },
        defaultBucket: bucket("1s"),
        ...global,
      }).filter(([, value]) => value !== undefined),
    ),
  };
}

function rateLimit(global: Record<string, unknown>): unknown {
  return {
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name: "web-limit", namespace: "rl" },
    spec: spec(global),
  };
}

// One case per schema (CRD) rule of spec.global; `undefined` means the spec is accepted.
const SCHEMA_CASES: { name: string; global: Record<string, unknown>; problem?: string }[] = [
  { name: "accepts a minimal global section", global: {} },
  {
    name: "CEL: key needs exactly one of clientAddress, header or claim (none)",
    global: { key: {} },
    problem:
      "global.key: Invalid value: \"object\": Exactly one of 'clientAddress', 'header' or 'claim' must be set",
  },
  {
    name: "CEL: key needs exactly one of clientAddress, header or claim (two)",
    global: { key: { header: { name: "x-api-key" }, claim: { name: "sub" } } },
    problem:
      "global.key: Invalid value: \"object\": Exactly one of 'clientAddress', 'header' or 'claim' must be set",
  },
  {
    name: "CEL: a global bucket needs a path or headers",
    global: { buckets: [{ bucket: bucket("1s") }] },
    problem:
      "global.buckets[0]: Invalid value: \"object\": At least one of 'path' or 'headers' must be set",
  },
  {
    name: "CEL: fixedWindow needs tokensPerFill equal to maxTokens",
    global: { algorithm: "fixedWindow", defaultBucket: bucket("1s", 10, 5) },
    problem:
      'global: Invalid value: "object": A fixedWindow bucket must have tokensPerFill equal to maxTokens',
  },
  {
    name: "CEL: fixedWindow checks the extra buckets too",
    global: {
      algorithm: "fixedWindow",
      buckets: [{ path: "/a", bucket: bucket("1s", 10, 1) }],
    },
    problem:
      'global: Invalid value: "object": A fixedWindow bucket must have tokensPerFill equal to maxTokens',
  },
  {
    name: "enum: algorithm",
    global: { algorithm: "leakyBucket" },
    problem: 'global.algorithm: Unsupported value: "leakyBucket": supported values: ' +
      '"tokenBucket", "fixedWindow"',
  },
  {
    name: "enum: failureMode",
    global: { failureMode: "retry" },
    problem: 'global.failureMode: Unsupported value: "retry": supported values: ' +
      '"open", "closed", "local"',
  },
  {
    name: "bounds: trustedHops",
    global: { key: { clientAddress: { trustedHops: 17 } } },
    problem: "global.key.clientAddress.trustedHops: Invalid value: 17: " +
      "global.key.clientAddress.trustedHops in body should be less than or equal to 16",
  },
  {
    name: "required: key",
    global: { key: undefined },
    problem: "global.key: Required value",
  },
];

Deno.test("RateLimitSpec schema checks spec.global with one CEL text per rule", async (t) => {
  for (const tc of SCHEMA_CASES) {
    await t.step(tc.name, () => {
      const problems = validateSchema(RateLimitSpec, spec(tc.global)).map(formatProblem);
      assert.deepEqual(problems, tc.problem === undefined ? [] : [tc.problem]);
    });
  }
});

// One case per semantic rule of spec.global (api/validation/ratelimit_global.ts), in check order.
const CASES: { name: string; global: Record<string, unknown>; failure?: [string, string] }[] = [
  { name: "passes a token bucket keyed by client address", global: {} },
  {
    name: "fails on a default interval under 50ms",
    global: { defaultBucket: bucket("10ms") },
    failure: [
      "spec.global.defaultBucket.fillInterval",
      "global.defaultBucket: fillInterval must be greater or equal 50ms",
    ],
  },
  {
    name: "fails on an interval Go cannot read",
    global: { buckets: [{ path: "/a", bucket: bucket("2d") }] },
    failure: [
      "spec.global.buckets[0].bucket.fillInterval",
      `global bucket '[0]': fillInterval "2d" is invalid: unit "d" is not supported (use ns, us, ms, s, m or h)`,
    ],
  },
  {
    name: "passes a bucket interval that is no multiple of the default (Envoy's rule only)",
    global: { buckets: [{ path: "/a", bucket: bucket("1.5s") }] },
  },
  {
    name: "fails on a fixedWindow interval of a fraction of a second",
    global: { algorithm: "fixedWindow", defaultBucket: bucket("1500ms") },
    failure: [
      "spec.global.defaultBucket.fillInterval",
      "global.defaultBucket: fillInterval must be a whole number of seconds for algorithm fixedWindow",
    ],
  },
  {
    name: "fails on zero tokens",
    global: { defaultBucket: bucket("1s", 0, 1) },
    failure: [
      "spec.global.defaultBucket.maxTokens",
      "global.defaultBucket: maxTokens must be between 1 and 4294967295 (got 0)",
    ],
  },
  {
    name: "fails on a bucket that matches nothing",
    global: { buckets: [{ path: "", bucket: bucket("1s") }] },
    failure: [
      "spec.global.buckets[0]",
      "global bucket '[0]': path and headers must not both be empty",
    ],
  },
  {
    name: "fails on a path without /",
    global: { buckets: [{ path: "login", bucket: bucket("1s") }] },
    failure: [
      "spec.global.buckets[0].path",
      `global bucket '[0]': path "login" must start with '/'`,
    ],
  },
  {
    name: "fails on a bucket header name that is no HTTP token",
    global: { buckets: [{ headers: { "a b": "1" }, bucket: bucket("1s") }] },
    failure: [
      "spec.global.buckets[0].headers",
      `global bucket '[0]': header name "a b" is not a valid HTTP header name`,
    ],
  },
  {
    name: "fails on two buckets with the same match",
    global: {
      buckets: [{ path: "/a", bucket: bucket("1s") }, { path: "/a", bucket: bucket("2s") }],
    },
    failure: [
      "spec.global.buckets[1]",
      "global bucket '[1]': path and headers are the same as in global bucket '[0]'",
    ],
  },
  {
    name: "fails on a key header name that is no HTTP token",
    global: { key: { header: { name: "x api key" } } },
    failure: [
      "spec.global.key.header.name",
      `global.key: header name "x api key" is not a valid HTTP header name`,
    ],
  },
  {
    name: "fails on a claim name with spaces",
    global: { key: { claim: { name: "tenant id" } } },
    failure: [
      "spec.global.key.claim.name",
      `global.key: claim name "tenant id" must be a claim name or a dotted path of claim names`,
    ],
  },
  { name: "passes a dotted claim path", global: { key: { claim: { name: "org.tenant" } } } },
];

Deno.test("validateRateLimit() returns the first failure of spec.global", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      const checked = validateRateLimit(rateLimit(tc.global), FACTS);
      const expected = tc.failure === undefined
        ? []
        : [{ attributePath: tc.failure[0], message: tc.failure[1] }];
      assert.deepEqual(checked, { failures: expected, notes: [] });
    });
  }
});
