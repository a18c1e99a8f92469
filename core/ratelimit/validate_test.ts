import assert from "node:assert/strict";
import type { KubeObject } from "../../api/meta.ts";
import { model, NAMESPACE, pod, rateLimitCR, snapshot } from "./_testing.ts";
import { validateRateLimit } from "./validate.ts";
import type { RateLimitModel } from "./rate_limit.ts";

interface Case {
  name: string;
  rateLimit?: RateLimitModel;
  objects: KubeObject[];
  message: string;
  retry: boolean;
}

const FAILURES: Case[] = [
  {
    name: "bucket checks come first and are not retried",
    rateLimit: model([], {
      defaultBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "10ms" },
    }),
    objects: [],
    message: "defaultBucket: fillInterval must be greater or equal 50ms",
    retry: false,
  },
  {
    name: "no pod carries every selector label (Go map, keys sorted)",
    rateLimit: model([], { selectorLabels: { tier: "web", app: "orders" } }),
    objects: [
      pod("orders-0", { app: "orders", tier: "api" }),
      pod("orders-1", { app: "orders", tier: "web" }, { namespace: "other" }),
    ],
    message:
      `no pods found with the given selectors: map[app:orders tier:web] in namespace ${NAMESPACE}`,
    retry: true,
  },
  {
    name: "other RateLimits selecting the same pods, names sorted",
    objects: [
      pod("orders-0"),
      pod("orders-1", { app: "orders", track: "canary" }),
      rateLimitCR("zeta", { selectorLabels: { track: "canary" } }),
      rateLimitCR("alpha", { selectorLabels: { app: "orders" } }),
      rateLimitCR("unrelated", { selectorLabels: { app: "payments" } }),
      rateLimitCR("other-namespace", {}, { namespace: "other" }),
    ],
    message: "conflicting with the following RateLimit CRs: alpha, zeta",
    retry: true,
  },
  {
    name: "conflicts are checked before sidecar injection",
    objects: [pod("orders-0", undefined, { sidecar: false }), rateLimitCR("second")],
    message: "conflicting with the following RateLimit CRs: second",
    retry: true,
  },
  {
    name: "pods without the sidecar status annotation, sorted by name",
    objects: [
      pod("orders-c", undefined, { sidecar: false }),
      pod("orders-b"),
      pod("orders-a", undefined, { sidecar: false }),
    ],
    message:
      `sidecar injection is not enabled for the following pods: ${NAMESPACE}/orders-a, ${NAMESPACE}/orders-c`,
    retry: true,
  },
  {
    name: "one non-gateway pod among gateway pods: every pod needs a sidecar",
    rateLimit: model([], { selectorLabels: { app: "istio-ingressgateway" } }),
    objects: [
      pod("gw-0", { app: "istio-ingressgateway", istio: "ingressgateway" }, { sidecar: false }),
      pod("gw-1", { app: "istio-ingressgateway" }, { sidecar: false }),
    ],
    message:
      `sidecar injection is not enabled for the following pods: ${NAMESPACE}/gw-0, ${NAMESPACE}/gw-1`,
    retry: true,
  },
];

Deno.test("validateRateLimit() reports the first failing check of §3", async (t) => {
  for (const tc of FAILURES) {
    await t.step(tc.name, () => {
      const result = validateRateLimit(tc.rateLimit ?? model(), snapshot(tc.objects));
      assert.deepEqual(result.ok ? undefined : result.error, {
        message: tc.message,
        retry: tc.retry,
      });
    });
  }
});

Deno.test("validateRateLimit() accepts selected pods with sidecars, or ingress gateways", async (t) => {
  const cases: Array<
    { name: string; rateLimit?: RateLimitModel; objects: KubeObject[]; ingressGateway: boolean }
  > = [
    { name: "an injected pod", objects: [pod("orders-0")], ingressGateway: false },
    {
      name: "an empty sidecar status annotation counts",
      objects: [{
        ...pod("orders-0"),
        metadata: {
          name: "orders-0",
          namespace: NAMESPACE,
          labels: { app: "orders" },
          annotations: { "sidecar.istio.io/status": "" },
        },
      }],
      ingressGateway: false,
    },
    {
      name: "gateway pods need no sidecar",
      rateLimit: model([], { selectorLabels: { istio: "ingressgateway" } }),
      objects: [pod("gw-0", { istio: "ingressgateway" }, { sidecar: false })],
      ingressGateway: true,
    },
    {
      name: "the CR itself in the snapshot is no conflict",
      objects: [pod("orders-0"), rateLimitCR("orders")],
      ingressGateway: false,
    },
    {
      name: "another RateLimit with an unreadable selector is no conflict",
      objects: [pod("orders-0"), { ...rateLimitCR("broken"), spec: "nonsense" }],
      ingressGateway: false,
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const result = validateRateLimit(tc.rateLimit ?? model(), snapshot(tc.objects));
      assert.equal(result.ok, true, result.ok ? "" : result.error.message);
      if (result.ok) assert.equal(result.value.ingressGateway, tc.ingressGateway);
    });
  }
});
