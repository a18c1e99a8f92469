import assert from "node:assert/strict";
import type { ValidationFacts } from "./facts.ts";
import { describeRateLimitFailure, goMap, validateRateLimit } from "./ratelimit.ts";
import { pod } from "./_testing.ts";

const STATUS = { "sidecar.istio.io/status": '{"containers":["istio-proxy"]}' };

function rateLimit(
  name: string,
  spec: { selectorLabels?: Record<string, string>; defaultBucket?: unknown; buckets?: unknown[] } =
    {},
): unknown {
  return {
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name, namespace: "rl" },
    spec: {
      selectorLabels: spec.selectorLabels ?? { app: "web" },
      local: {
        defaultBucket: spec.defaultBucket ?? bucket("1m"),
        ...(spec.buckets === undefined ? {} : { buckets: spec.buckets }),
      },
    },
  };
}

function bucket(fillInterval: string, maxTokens = 20, tokensPerFill = 20) {
  return { maxTokens, tokensPerFill, fillInterval };
}

const FACTS: ValidationFacts = {
  complete: true,
  pods: [
    pod("rl", "web-a", { app: "web" }, { annotations: STATUS }),
    pod("rl", "web-b", { app: "web", tier: "api" }, { annotations: STATUS }),
    pod("rl", "plain", { app: "plain" }),
    pod("rl", "gw", { app: "gw", istio: "ingressgateway" }),
  ],
  rateLimits: [{ namespace: "rl", name: "web-limit", selectorLabels: { app: "web" } }],
};

type Case = {
  name: string;
  object: unknown;
  facts?: ValidationFacts;
  failure?: [string, string];
};

// docs/spec/ratelimit.md §3 in order, then the checks apigw adds for values Envoy or the controller reject.
const CASES: Case[] = [
  {
    name: "§3.1 fails on a default interval under 50ms",
    object: rateLimit("web-limit", { defaultBucket: bucket("49ms") }),
    failure: [
      "spec.local.defaultBucket.fillInterval",
      "defaultBucket: fillInterval must be greater or equal 50ms",
    ],
  },
  { name: "§3.1 passes 50ms", object: rateLimit("web-limit", { defaultBucket: bucket("50ms") }) },
  {
    name: "§3.1 fails on a bucket interval under 50ms",
    object: rateLimit("web-limit", {
      buckets: [{ path: "/a", bucket: bucket("1m") }, { path: "/b", bucket: bucket("10ms") }],
    }),
    failure: [
      "spec.local.buckets[1].bucket.fillInterval",
      "bucket '[1]': fillInterval must be greater or equal 50ms",
    ],
  },
  {
    name: "§3.1 fails on a bucket interval that is no multiple of the default",
    object: rateLimit("web-limit", {
      defaultBucket: bucket("1m"),
      buckets: [{ path: "/a", bucket: bucket("90s") }],
    }),
    failure: [
      "spec.local.buckets[0].bucket.fillInterval",
      "bucket '[0]': fillInterval must be a multiple of defaultBucket fillInterval",
    ],
  },
  {
    name: "§3.1 passes a multiple, in another spelling",
    object: rateLimit("web-limit", {
      defaultBucket: bucket("1.5s"),
      buckets: [{ headers: { x: "1" }, bucket: bucket("1m30s") }],
    }),
  },
  {
    name: "§3.2 fails when no Pod has every selector label",
    object: rateLimit("web-limit", { selectorLabels: { tier: "web", app: "web" } }),
    failure: [
      "spec.selectorLabels",
      "no pods found with the given selectors: map[app:web tier:web] in namespace rl",
    ],
  },
  {
    name: "§3.3 fails on RateLimits selecting the same Pods, sorted",
    object: rateLimit("web-limit"),
    facts: {
      ...FACTS,
      rateLimits: [
        { namespace: "rl", name: "web-limit", selectorLabels: { app: "web" } },
        { namespace: "rl", name: "z-api", selectorLabels: { tier: "api" } },
        { namespace: "rl", name: "a-web", selectorLabels: { app: "web" } },
        { namespace: "other", name: "b-web", selectorLabels: { app: "web" } },
        { namespace: "rl", name: "plain", selectorLabels: { app: "plain" } },
      ],
    },
    failure: ["spec.selectorLabels", "conflicting with the following RateLimit CRs: a-web, z-api"],
  },
  {
    name: "§3.4 passes ingress gateway Pods without sidecar annotation",
    object: rateLimit("gw-limit", { selectorLabels: { istio: "ingressgateway" } }),
  },
  {
    name: "§3.5 fails on Pods without sidecar annotation",
    object: rateLimit("plain-limit", { selectorLabels: { app: "plain" } }),
    failure: [
      "spec.selectorLabels",
      "sidecar injection is not enabled for the following pods: rl/plain",
    ],
  },
  { name: "§3.5 passes injected Pods", object: rateLimit("web-limit") },
  {
    name: "apigw fails on a duration Go cannot read (days)",
    object: rateLimit("web-limit", { defaultBucket: bucket("1d") }),
    failure: [
      "spec.local.defaultBucket.fillInterval",
      'defaultBucket: fillInterval "1d" is invalid: unit "d" is not supported (use ns, us, ms, s, m or h)',
    ],
  },
  {
    name: "apigw fails on zero tokens",
    object: rateLimit("web-limit", { buckets: [{ path: "/a", bucket: bucket("1m", 10, 0) }] }),
    failure: [
      "spec.local.buckets[0].bucket.tokensPerFill",
      "bucket '[0]': tokensPerFill must be between 1 and 4294967295 (got 0)",
    ],
  },
  {
    name: "apigw fails on more tokens than Envoy's uint32",
    object: rateLimit("web-limit", { defaultBucket: bucket("1m", 4294967296) }),
    failure: [
      "spec.local.defaultBucket.maxTokens",
      "defaultBucket: maxTokens must be between 1 and 4294967295 (got 4294967296)",
    ],
  },
  {
    name: "apigw fails on a bucket that would match nothing",
    object: rateLimit("web-limit", { buckets: [{ path: "", headers: {}, bucket: bucket("1m") }] }),
    failure: ["spec.local.buckets[0]", "bucket '[0]': path and headers must not both be empty"],
  },
  {
    name: "apigw fails on a path without /",
    object: rateLimit("web-limit", { buckets: [{ path: "ip", bucket: bucket("1m") }] }),
    failure: ["spec.local.buckets[0].path", `bucket '[0]': path "ip" must start with '/'`],
  },
  {
    name: "apigw fails on a header name that is no HTTP token",
    object: rateLimit("web-limit", {
      buckets: [{ headers: { "x y": "1" }, bucket: bucket("1m") }],
    }),
    failure: [
      "spec.local.buckets[0].headers",
      `bucket '[0]': header name "x y" is not a valid HTTP header name`,
    ],
  },
  {
    name: "apigw fails on a path header next to the path field",
    object: rateLimit("web-limit", {
      buckets: [{ path: "/a", headers: { path: "/b" }, bucket: bucket("1m") }],
    }),
    failure: [
      "spec.local.buckets[0].headers",
      `bucket '[0]': header "path" and the path field both match the request path; set only one`,
    ],
  },
  {
    name: "apigw fails on two buckets with the same match",
    object: rateLimit("web-limit", {
      buckets: [
        { path: "/a", headers: { b: "1", a: "2" }, bucket: bucket("1m") },
        { path: "/a", headers: { a: "2", b: "1" }, bucket: bucket("2m") },
      ],
    }),
    failure: [
      "spec.local.buckets[1]",
      "bucket '[1]': path and headers are the same as in bucket '[0]'",
    ],
  },
  {
    name: "apigw passes a pseudo header and distinct buckets",
    object: rateLimit("web-limit", {
      buckets: [
        { path: "/a", bucket: bucket("1m") },
        { headers: { ":authority": "x" }, bucket: bucket("1m") },
      ],
    }),
  },
];

Deno.test("validateRateLimit() returns the first failure of §3", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      const checked = validateRateLimit(tc.object, tc.facts ?? FACTS);
      const expected = tc.failure === undefined
        ? []
        : [{ attributePath: tc.failure[0], message: tc.failure[1] }];
      assert.deepEqual(checked, { failures: expected, notes: [] });
    });
  }
});

Deno.test("validateRateLimit() notes Pod checks it cannot run", () => {
  assert.deepEqual(validateRateLimit(rateLimit("web-limit"), { pods: [pod("other", "x", {})] }), {
    failures: [],
    notes: ['Pod checks skipped: no Pods in namespace "rl" in the input'],
  });
});

Deno.test("validateRateLimit() leaves a spec that fails the schema to the schema", () => {
  assert.deepEqual(validateRateLimit(rateLimit("web-limit", { selectorLabels: {} }), FACTS), {
    failures: [],
    notes: [],
  });
});

Deno.test("describeRateLimitFailure() gives the status description", () => {
  assert.equal(
    describeRateLimitFailure({ attributePath: "spec.selectorLabels", message: "no pods found" }),
    "failed to validate RateLimit: no pods found",
  );
});

Deno.test("goMap() prints a map as Go's %v does", () => {
  assert.equal(goMap({ tier: "web", app: "httpbin" }), "map[app:httpbin tier:web]");
  assert.equal(goMap({}), "map[]");
});
