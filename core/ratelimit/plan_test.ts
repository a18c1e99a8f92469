import assert from "node:assert/strict";
import fc from "fast-check";
import type { KubeObject, OwnerReference } from "../../api/meta.ts";
import { apiGateway, pod, rateLimitCR, snapshot } from "./_testing.ts";
import { planRateLimit } from "./plan.ts";

const NOW = { now: new Date("2026-01-01T00:00:00Z") };
const CR = rateLimitCR("orders", {}, { uid: "uid-1" });

function envoyFilter(ownerReferences: OwnerReference[], name = "orders"): KubeObject {
  return {
    apiVersion: "networking.istio.io/v1alpha3",
    kind: "EnvoyFilter",
    metadata: { name, namespace: "shop", ownerReferences },
    spec: { priority: 3 },
  };
}

const OURS: OwnerReference = {
  apiVersion: "gateway.kyma-project.io/v1alpha1",
  kind: "RateLimit",
  name: "orders",
  uid: "old",
  controller: true,
};

interface StatusCase {
  name: string;
  cr?: KubeObject;
  objects: KubeObject[];
  crds?: ReadonlySet<string>;
  state: string;
  description: string;
  complete: boolean;
}

const STATUS: StatusCase[] = [
  {
    name: "2: the EnvoyFilter CRD is missing",
    objects: [apiGateway(), pod("orders-0")],
    crds: new Set(),
    state: "Error",
    description: "dependency missing 'envoyfilters.networking.istio.io': " +
      'customresourcedefinitions.apiextensions.k8s.io "envoyfilters.networking.istio.io" not found',
    complete: false,
  },
  {
    name: "3: no APIGateway",
    objects: [pod("orders-0")],
    state: "Warning",
    description: "failed to reconcile RateLimit CR because of missing APIGateway CR in the cluster",
    complete: false,
  },
  {
    name: "4: the owner APIGateway is not Ready",
    objects: [apiGateway("Processing"), pod("orders-0")],
    state: "Warning",
    description: "failed to create RateLimit CR because APIGateway CR is in Processing state",
    complete: false,
  },
  {
    name: "4: the owner APIGateway has no state (two spaces)",
    objects: [apiGateway(null), pod("orders-0")],
    state: "Warning",
    description: "failed to create RateLimit CR because APIGateway CR is in  state",
    complete: false,
  },
  {
    name: "4: the oldest APIGateway decides, not a younger Ready one",
    objects: [
      apiGateway("Error", { name: "old", creationTimestamp: "2024-01-01T00:00:00Z" }),
      apiGateway("Ready", { name: "new", creationTimestamp: "2025-01-01T00:00:00Z" }),
      pod("orders-0"),
    ],
    state: "Warning",
    description: "failed to create RateLimit CR because APIGateway CR is in Error state",
    complete: false,
  },
  {
    name: "5: validation against the cluster is retried",
    objects: [apiGateway()],
    state: "Error",
    description:
      "failed to validate RateLimit: no pods found with the given selectors: map[app:orders] in namespace shop",
    complete: false,
  },
  {
    name: "5: validation of the CR alone is final",
    cr: rateLimitCR("orders", {
      local: { defaultBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1d" } },
    }),
    objects: [apiGateway(), pod("orders-0")],
    state: "Error",
    description:
      `failed to validate RateLimit: defaultBucket: fillInterval "1d" is invalid: unit "d" is not supported (use ns, us, ms, s, m or h)`,
    complete: true,
  },
  {
    name: "6: the EnvoyFilter is controlled by someone else",
    objects: [
      apiGateway(),
      pod("orders-0"),
      envoyFilter([{
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "installer",
        uid: "x",
        controller: true,
      }]),
    ],
    state: "Error",
    description:
      "failed to create EnvoyFilter: Object shop/orders is already owned by another Deployment controller installer",
    complete: false,
  },
  {
    name: "a CR the schema rejects",
    cr: rateLimitCR("orders", { selectorLabels: {} }),
    objects: [apiGateway(), pod("orders-0")],
    state: "Error",
    description:
      'RateLimit.gateway.kyma-project.io "orders" is invalid: spec.selectorLabels: Invalid value: 0: ' +
      "spec.selectorLabels in body should have at least 1 properties",
    complete: true,
  },
];

Deno.test("planRateLimit() stops at the first failing step with its status", async (t) => {
  for (const tc of STATUS) {
    await t.step(tc.name, () => {
      const cr = tc.cr ?? CR;
      const plan = planRateLimit(cr, snapshot([...tc.objects, cr], tc.crds), NOW);
      assert.deepEqual(
        { state: plan.state, description: plan.description, complete: plan.complete },
        { state: tc.state, description: tc.description, complete: tc.complete },
      );
      assert.deepEqual(plan.cr?.status, { state: tc.state, description: tc.description });
      assert.deepEqual(plan.apply, []);
      assert.deepEqual(plan.delete, []);
    });
  }
});

Deno.test("planRateLimit() wants the EnvoyFilter and ends Ready", async (t) => {
  const cases: Array<{ name: string; objects: KubeObject[]; context: string }> = [
    {
      name: "a sidecar workload",
      objects: [apiGateway(), pod("orders-0")],
      context: "SIDECAR_INBOUND",
    },
    {
      name: "an ingress gateway selected by istio: ingressgateway gets GATEWAY (weak-spot fix)",
      objects: [
        apiGateway(),
        pod("gw-0", { app: "orders", istio: "ingressgateway" }, { sidecar: false }),
      ],
      context: "GATEWAY",
    },
    {
      name: "our own EnvoyFilter from an earlier CR of the same name is taken over",
      objects: [apiGateway(), pod("orders-0"), envoyFilter([OURS])],
      context: "SIDECAR_INBOUND",
    },
    {
      name: "an unowned EnvoyFilter of the reserved name is taken over",
      objects: [apiGateway(), pod("orders-0"), envoyFilter([])],
      context: "SIDECAR_INBOUND",
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const plan = planRateLimit(CR, snapshot([...tc.objects, CR]), NOW);
      assert.equal(plan.state, "Ready", plan.description);
      assert.equal(plan.description, "Finished reconciliation");
      assert.equal(plan.complete, true);
      assert.deepEqual(plan.cr, {
        ...CR,
        status: { state: "Ready", description: "Finished reconciliation" },
      });
      assert.deepEqual(plan.delete, []);
      assert.equal(plan.apply.length, 1);
      const [filter] = plan.apply;
      assert.deepEqual(filter?.metadata, {
        name: "orders",
        namespace: "shop",
        ownerReferences: [{
          apiVersion: "gateway.kyma-project.io/v1alpha1",
          kind: "RateLimit",
          name: "orders",
          uid: "uid-1",
          controller: true,
          blockOwnerDeletion: true,
        }],
      });
      assert.match(JSON.stringify(filter?.spec), new RegExp(`"context":"${tc.context}"`));
    });
  }
});

Deno.test("planRateLimit() keeps the existing EnvoyFilter when the CR turns invalid", async (t) => {
  const existing = envoyFilter([OURS]);
  const cases: Array<{ name: string; objects: KubeObject[] }> = [
    { name: "its pods are gone", objects: [apiGateway()] },
    { name: "the APIGateway is not Ready", objects: [apiGateway("Error"), pod("orders-0")] },
    {
      name: "a conflicting RateLimit appeared",
      objects: [apiGateway(), pod("orders-0"), rateLimitCR("second")],
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const plan = planRateLimit(CR, snapshot([...tc.objects, existing, CR]), NOW);
      assert.notEqual(plan.state, "Ready");
      assert.deepEqual(plan.delete, []);
      assert.deepEqual(plan.apply, []);
    });
  }
});

Deno.test("planRateLimit() lets a deleted CR go with its EnvoyFilter", async (t) => {
  const deleted = rateLimitCR("orders", {}, { deletionTimestamp: "2026-01-01T00:00:00Z" });
  await t.step("own EnvoyFilter deleted", () => {
    const ours = envoyFilter([OURS]);
    const plan = planRateLimit(
      deleted,
      snapshot([apiGateway(), pod("orders-0"), ours, deleted]),
      NOW,
    );
    assert.equal(plan.cr, undefined);
    assert.deepEqual(plan.delete, [ours]);
    assert.deepEqual(plan.apply, []);
  });
  await t.step("a foreign EnvoyFilter of the same name is left alone", () => {
    const foreign = envoyFilter([{ ...OURS, kind: "Other" }]);
    const plan = planRateLimit(deleted, snapshot([foreign, deleted]), NOW);
    assert.deepEqual(plan.delete, []);
  });
  await t.step("another finalizer keeps it reconciled", () => {
    const held = rateLimitCR("orders", {}, {
      deletionTimestamp: "2026-01-01T00:00:00Z",
      finalizers: ["x"],
    });
    const plan = planRateLimit(held, snapshot([apiGateway(), pod("orders-0"), held]), NOW);
    assert.equal(plan.state, "Ready");
  });
});

// What render hands a planner: any decoded document with string apiVersion and kind.
function asInput(
  value: { apiVersion: string; kind: string; metadata: Record<string, unknown> },
): KubeObject {
  return { ...value, metadata: { ...value.metadata } };
}

Deno.test("planRateLimit() never throws, whatever the object and snapshot", () => {
  const bucket = fc.oneof(
    fc.anything(),
    fc.record({
      maxTokens: fc.oneof(fc.integer(), fc.anything()),
      tokensPerFill: fc.integer(),
      fillInterval: fc.string(),
    }),
  );
  const object = fc.record({
    apiVersion: fc.constantFrom("gateway.kyma-project.io/v1alpha1", "x/v1"),
    kind: fc.constant("RateLimit"),
    metadata: fc.record({
      name: fc.oneof(fc.constantFrom("orders", "other"), fc.anything()),
      namespace: fc.oneof(fc.constantFrom("shop", ""), fc.anything()),
      uid: fc.anything(),
      ownerReferences: fc.anything(),
      labels: fc.anything(),
      deletionTimestamp: fc.anything(),
      finalizers: fc.anything(),
    }, { requiredKeys: [] }),
    spec: fc.oneof(
      fc.anything(),
      fc.record({
        selectorLabels: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.anything()),
        local: fc.record({
          defaultBucket: bucket,
          buckets: fc.oneof(
            fc.anything(),
            fc.array(
              fc.record({ path: fc.string(), headers: fc.anything(), bucket }, {
                requiredKeys: [],
              }),
            ),
          ),
        }, { requiredKeys: [] }),
        enforce: fc.anything(),
      }, { requiredKeys: [] }),
    ),
    status: fc.anything(),
  }, { requiredKeys: ["apiVersion", "kind", "metadata"] });
  fc.assert(
    fc.property(object, fc.array(object, { maxLength: 3 }), (cr, others) => {
      const objects = [apiGateway(), pod("orders-0"), ...others.map(asInput)];
      const plan = planRateLimit(asInput(cr), snapshot(objects), NOW);
      assert.ok(["Ready", "Error", "Warning", "Deleting"].includes(plan.state));
    }),
    { numRuns: 500 },
  );
});

Deno.test("planRateLimit() wants a CUSTOM policy to apigw for spec.global, and drops it after", async (t) => {
  const global = {
    key: { claim: { name: "sub" } },
    defaultBucket: { maxTokens: 10, tokensPerFill: 1, fillInterval: "1s" },
  };
  const withGlobal = rateLimitCR("orders", { global }, { uid: "uid-1" });
  await t.step("the EnvoyFilter and the policy, both controlled by the RateLimit", () => {
    const plan = planRateLimit(withGlobal, snapshot([apiGateway(), pod("orders-0")]), NOW);
    assert.equal(plan.state, "Ready");
    assert.deepEqual(plan.apply.map((o) => o.kind), ["EnvoyFilter", "AuthorizationPolicy"]);
    const policy = plan.apply[1]!;
    assert.deepEqual(policy.spec, {
      selector: { matchLabels: { app: "orders" } },
      action: "CUSTOM",
      provider: { name: "apigw-authz" },
      rules: [{}],
    });
    assert.equal(policy.metadata.ownerReferences?.[0]?.uid, "uid-1");
  });
  await t.step("the provider named by apigwProvider in api-gateway-config", () => {
    const config: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "api-gateway-config", namespace: "kyma-system" },
      data: { "api-gateway-config": "jwtHandler: ory\napigwProvider: edge-authz\n" },
    };
    const plan = planRateLimit(withGlobal, snapshot([apiGateway(), pod("orders-0"), config]), NOW);
    assert.deepEqual((plan.apply[1]?.spec as { provider?: unknown }).provider, {
      name: "edge-authz",
    });
  });
  const ours: KubeObject = {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: "orders", namespace: "shop", ownerReferences: [OURS] },
    spec: {},
  };
  await t.step("without spec.global our policy is deleted, a foreign one kept", () => {
    const plan = planRateLimit(CR, snapshot([apiGateway(), pod("orders-0"), ours]), NOW);
    assert.deepEqual(plan.delete, [ours]);
    const foreign = { ...ours, metadata: { ...ours.metadata, ownerReferences: [] } };
    const kept = planRateLimit(CR, snapshot([apiGateway(), pod("orders-0"), foreign]), NOW);
    assert.deepEqual(kept.delete, []);
  });
  await t.step("a deleted RateLimit lets its policy go too", () => {
    const deleted = rateLimitCR("orders", { global }, {
      deletionTimestamp: "2026-01-01T00:00:00Z",
    });
    const plan = planRateLimit(deleted, snapshot([ours, deleted]), NOW);
    assert.deepEqual(plan.delete, [ours]);
  });
});
