import assert from "node:assert/strict";
import fc from "fast-check";
import type { KubeObject } from "../../api/meta.ts";
import { KYMA_GATEWAY_FINALIZER, MODULE_FINALIZER } from "./deletion.ts";
import { planAPIGateway } from "./plan.ts";
import { SHIPPED_IMAGES } from "./oathkeeper_deployment.ts";
import { listAt, stringAt, valueAt } from "./_read.ts";
import { apiGateway, keys, NOW, object, snapshot } from "./_testing.ts";

const GATEWAY = "networking.istio.io/Gateway kyma-system/kyma-gateway";
const DEPLOYMENT = "apps/Deployment kyma-system/ory-oathkeeper";
const RULE_CRD = "apiextensions.k8s.io/CustomResourceDefinition rules.oathkeeper.ory.sh";
const POLICY = "networking.k8s.io/NetworkPolicy kyma-system/kyma-project.io--api-gateway-allow";

function plan(cr: KubeObject, objects: KubeObject[] = [], crds: { without?: string[] } = {}) {
  return planAPIGateway(cr, snapshot([cr, ...objects], crds), { now: NOW });
}

function blockingVirtualService(): KubeObject {
  return object("networking.istio.io/v1", "VirtualService", "demo/uses-gateway", {
    spec: { gateways: ["kyma-system/kyma-gateway"] },
  });
}

Deno.test("planAPIGateway() installs the module for a fresh CR and ends Ready", () => {
  const result = plan(apiGateway("default"));
  assert.equal(result.state, "Ready");
  assert.equal(result.description, "Successfully reconciled");
  assert.deepEqual(result.cr?.metadata.finalizers, [MODULE_FINALIZER]);
  assert.deepEqual(valueAt(result.cr, "status", "conditions"), [{
    type: "Ready",
    status: "True",
    reason: "ReconcileSucceeded",
    message: "Reconciliation succeeded",
    lastTransitionTime: "2026-01-01T00:00:00Z",
  }]);
  assert.ok(keys(result.apply).includes(DEPLOYMENT), "the Oathkeeper stack is always installed");
  assert.ok(!keys(result.apply).includes(GATEWAY), "the Kyma Gateway is off unless enabled");
  assert.equal(result.complete, true);
  assert.equal(result.recheckAfterMs, 3_600_000);
});

Deno.test("planAPIGateway() appends its finalizers after foreign ones, module first", async (t) => {
  const cases = [
    { name: "gateway off", spec: {}, before: [], after: [MODULE_FINALIZER] },
    {
      name: "gateway on",
      spec: { enableKymaGateway: true },
      before: ["x/y"],
      after: ["x/y", MODULE_FINALIZER, KYMA_GATEWAY_FINALIZER],
    },
    {
      name: "already present",
      spec: { enableKymaGateway: true },
      before: [KYMA_GATEWAY_FINALIZER, MODULE_FINALIZER],
      after: [KYMA_GATEWAY_FINALIZER, MODULE_FINALIZER],
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const cr = apiGateway("default", { spec: tc.spec, metadata: { finalizers: tc.before } });
      assert.deepEqual(plan(cr).cr?.metadata.finalizers, tc.after);
    });
  }
});

Deno.test("planAPIGateway() stops with DependenciesMissing before adding its finalizer", async (t) => {
  for (const crd of ["gateways.networking.istio.io", "virtualservices.networking.istio.io"]) {
    await t.step(crd, () => {
      const result = plan(apiGateway("default", { spec: { networkPoliciesEnabled: true } }), [], {
        without: [crd],
      });
      assert.equal(result.state, "Error");
      assert.equal(
        result.description,
        `CRD ${crd} is not present. Make sure to install required dependencies for the component`,
      );
      assert.equal(
        stringAt(listAt(result.cr, "status", "conditions")[0], "reason"),
        "DependenciesMissing",
      );
      assert.equal(result.cr?.metadata.finalizers, undefined);
      assert.deepEqual(keys(result.apply), [POLICY], "the NetworkPolicy step runs first");
      assert.equal(result.complete, false);
    });
  }
});

Deno.test("planAPIGateway() reports a Gardener ingress without address as a Kyma Gateway error", () => {
  const shootInfo = object("v1", "ConfigMap", "kube-system/shoot-info", {
    data: { domain: "c1.example.com" },
  });
  const result = plan(apiGateway("default", { spec: { enableKymaGateway: true } }), [shootInfo]);
  assert.equal(result.state, "Error");
  assert.equal(
    result.description,
    "Error during Kyma Gateway reconciliation: Service istio-system/istio-ingressgateway does not exist",
  );
  assert.deepEqual(result.cr?.metadata.finalizers, [MODULE_FINALIZER, KYMA_GATEWAY_FINALIZER]);
  assert.ok(!keys(result.apply).includes(DEPLOYMENT), "the pass ends at the failed step");
  assert.equal(result.complete, false);
});

Deno.test("planAPIGateway() removes a disabled Kyma Gateway unless something uses it", async (t) => {
  const finalizers = [MODULE_FINALIZER, KYMA_GATEWAY_FINALIZER];
  await t.step("unused: deleted, finalizer removed", () => {
    const result = plan(apiGateway("default", { metadata: { finalizers } }));
    assert.equal(result.state, "Ready");
    assert.ok(keys(result.delete).includes(GATEWAY));
    assert.deepEqual(result.cr?.metadata.finalizers, [MODULE_FINALIZER]);
  });
  await t.step("used: kept serving, Warning, the pass goes on", () => {
    const result = plan(apiGateway("default", { metadata: { finalizers } }), [
      blockingVirtualService(),
    ]);
    assert.equal(result.state, "Warning");
    assert.equal(
      stringAt(listAt(result.cr, "status", "conditions")[0], "message"),
      "Kyma Gateway deletion blocked because of the existing custom resources: uses-gateway",
    );
    assert.ok(keys(result.apply).includes(GATEWAY));
    assert.ok(!keys(result.delete).includes(GATEWAY));
    assert.ok(keys(result.apply).includes(DEPLOYMENT), "Oathkeeper is still reconciled");
    assert.deepEqual(result.cr?.metadata.finalizers, finalizers);
    assert.equal(result.complete, false, "retried until the blocker is gone");
  });
  await t.step("never installed (no finalizer): not touched", () => {
    const result = plan(apiGateway("default"));
    assert.ok(!keys(result.delete).includes(GATEWAY));
  });
});

function oathkeeper(conditions: unknown[]): KubeObject {
  return object("apps/v1", "Deployment", "kyma-system/ory-oathkeeper", {
    spec: { replicas: 1 },
    status: { conditions },
  });
}

const AWAIT_CASES = [
  { name: "render never waits", await: false, objects: [], state: "Ready", complete: true },
  {
    name: "the operator waits for a new Deployment",
    await: true,
    objects: [],
    state: "Processing",
    description: "Waiting for Deployment kyma-system/ory-oathkeeper to be created",
    complete: false,
    recheck: 5_000,
  },
  {
    name: "available: Ready",
    await: true,
    objects: [oathkeeper([{ type: "Available", status: "True" }])],
    state: "Ready",
    complete: true,
    recheck: 3_600_000,
  },
  {
    name: "not available for too long: Error",
    await: true,
    objects: [
      oathkeeper([{
        type: "Available",
        status: "False",
        lastTransitionTime: "2025-12-31T00:00:00Z",
      }]),
    ],
    state: "Error",
    description:
      "Oathkeeper did not start successfully: Deployment kyma-system/ory-oathkeeper is not available",
    complete: false,
  },
];

Deno.test("planAPIGateway() waits for Oathkeeper only when asked to", async (t) => {
  for (const tc of AWAIT_CASES) {
    await t.step(tc.name, () => {
      const cr = apiGateway("default");
      const result = planAPIGateway(cr, snapshot([cr, ...tc.objects]), {
        now: NOW,
        awaitOathkeeper: tc.await,
      });
      assert.equal(result.state, tc.state);
      if (tc.description !== undefined) assert.equal(result.description, tc.description);
      assert.equal(result.complete, tc.complete);
      if (tc.recheck !== undefined) assert.equal(result.recheckAfterMs, tc.recheck);
      assert.ok(keys(result.apply).includes(DEPLOYMENT));
    });
  }
});

Deno.test("planAPIGateway() fails the Oathkeeper step when an image is unset", () => {
  const cr = apiGateway("default");
  const result = planAPIGateway(cr, snapshot([cr]), {
    now: NOW,
    images: { ...SHIPPED_IMAGES, maester: "" },
  });
  assert.equal(result.state, "Error");
  assert.equal(
    result.description,
    "Oathkeeper did not reconcile successfully: failed to get images from environment variables: environment variable 'oathkeeper-maester' is not set",
  );
  assert.ok(!keys(result.apply).includes(DEPLOYMENT));
  assert.ok(keys(result.apply).includes(RULE_CRD), "the other objects are still applied");
});

Deno.test("planAPIGateway() never plans key material (decision 10)", () => {
  const cr = apiGateway("default", { spec: { enableKymaGateway: true } });
  const result = plan(cr);
  assert.deepEqual(
    result.generate.map((g) => `${g.namespace}/${g.name}`),
    ["istio-system/kyma-gateway-certs", "kyma-system/ory-oathkeeper-jwks-secret"],
  );
  for (const secret of result.apply.filter((o) => o.kind === "Secret")) {
    assert.equal(secret.data, undefined, secret.metadata.name ?? "");
    assert.equal(secret.stringData, undefined, secret.metadata.name ?? "");
  }
});

Deno.test("planAPIGateway() re-applies RBAC rules and subjects on existing objects (weak spot 4)", () => {
  const stale = object("rbac.authorization.k8s.io/v1", "ClusterRole", "oathkeeper-maester-role", {
    rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
  });
  const role = plan(apiGateway("default"), [stale]).apply.find((o) => o.kind === "ClusterRole");
  assert.deepEqual(listAt(role, "rules").map((r) => valueAt(r, "resources")), [["rules"]]);
});

Deno.test("planAPIGateway() is deterministic and leaves its input alone", () => {
  const cr = apiGateway("default", { spec: { enableKymaGateway: true } });
  const before = structuredClone(cr);
  assert.deepEqual(plan(cr), plan(cr));
  assert.deepEqual(cr, before);
});

Deno.test("planAPIGateway() never throws, whatever the CR and snapshot hold", () => {
  const anyObject = fc.record({
    apiVersion: fc.constantFrom("v1", "operator.kyma-project.io/v1alpha1", "apps/v1"),
    kind: fc.constantFrom("APIGateway", "Service", "ConfigMap", "Deployment", "Node"),
    metadata: fc.record({
      name: fc.constantFrom("default", "a", "istio-ingressgateway", "shoot-info", "ory-oathkeeper"),
      namespace: fc.constantFrom("kyma-system", "istio-system", "kube-system"),
      creationTimestamp: fc.oneof(fc.string(), fc.constant("2025-01-01T00:00:00Z")),
      deletionTimestamp: fc.constant("2025-01-01T00:00:00Z"),
      finalizers: fc.array(fc.constantFrom(MODULE_FINALIZER, KYMA_GATEWAY_FINALIZER, "x")),
    }, { requiredKeys: ["name"] }),
    spec: fc.anything(),
    status: fc.anything(),
    data: fc.anything(),
  }, { requiredKeys: ["apiVersion", "kind", "metadata"] });
  fc.assert(
    fc.property(
      anyObject,
      fc.array(anyObject, { maxLength: 6 }),
      fc.boolean(),
      (cr, others, wait) => {
        planAPIGateway(cr, snapshot([cr, ...others]), { now: NOW, awaitOathkeeper: wait });
      },
    ),
    { numRuns: 300 },
  );
});
