import assert from "node:assert/strict";
import type { KubeObject } from "../../api/meta.ts";
import { deletionBlocker, KYMA_GATEWAY_FINALIZER, MODULE_FINALIZER } from "./deletion.ts";
import { planAPIGateway } from "./plan.ts";
import { apiGateway, keys, NOW, object, snapshot } from "./_testing.ts";

const GATEWAY = "networking.istio.io/Gateway kyma-system/kyma-gateway";
const DEPLOYMENT = "apps/Deployment kyma-system/ory-oathkeeper";
const RULE_CRD = "apiextensions.k8s.io/CustomResourceDefinition rules.oathkeeper.ory.sh";
const POLICY = "networking.k8s.io/NetworkPolicy kyma-system/kyma-project.io--api-gateway-allow";
const DELETED_AT = { deletionTimestamp: "2025-12-31T00:00:00Z" };

function plan(cr: KubeObject, objects: KubeObject[] = []) {
  return planAPIGateway(cr, snapshot([cr, ...objects]), { now: NOW });
}

function blockingVirtualService(): KubeObject {
  return object("networking.istio.io/v1", "VirtualService", "demo/uses-gateway", {
    spec: { gateways: ["kyma-system/kyma-gateway"] },
  });
}

function apiRule(key: string): KubeObject {
  return object("gateway.kyma-project.io/v2", "APIRule", key);
}

function oryRule(key: string): KubeObject {
  return object("oathkeeper.ory.sh/v1alpha1", "Rule", key);
}

function rateLimit(key: string): KubeObject {
  return object("gateway.kyma-project.io/v1alpha1", "RateLimit", key);
}

const CASES: Array<{
  name: string;
  objects: KubeObject[];
  without?: string[];
  description?: RegExp;
  message?: string;
}> = [
  { name: "nothing blocks", objects: [] },
  {
    name: "APIRules first, as namespace/name in namespace then name order, at most five",
    objects: [
      ...["b/r1", "a-b/r1", "a/r2", "a/r1", "c/r1", "d/r1"].map(apiRule),
      oryRule("a/rule"),
    ],
    description: /^There are APIRule\(s\) that block the deletion of API-Gateway CR\. /,
    message: "a/r1, a/r2, a-b/r1, b/r1, c/r1",
  },
  {
    name: "then Ory Rules",
    objects: [oryRule("ns/rule"), rateLimit("ns/limit")],
    description: /^There are ORY Oathkeeper Rule\(s\) that block/,
    message: "ns/rule",
  },
  {
    name: "RateLimits are all reported",
    objects: ["a/1", "a/2", "a/3", "a/4", "a/5", "a/6"].map(rateLimit),
    description: /^There are RateLimit\(s\) that block/,
    message: "a/1, a/2, a/3, a/4, a/5, a/6",
  },
  {
    name: "a kind whose CRD is missing has no objects",
    objects: [oryRule("ns/rule")],
    without: ["rules.oathkeeper.ory.sh"],
  },
];

Deno.test("deletionBlocker() reports the first kind with objects", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      const blocker = deletionBlocker(snapshot(tc.objects, { without: tc.without ?? [] }));
      if (tc.description === undefined) return assert.equal(blocker, undefined);
      assert.equal(blocker?.state, "Warning");
      assert.equal(blocker?.reason, "DeletionBlockedExistingResources");
      assert.match(blocker?.description ?? "", tc.description);
      assert.equal(
        blocker?.message,
        `API Gateway deletion blocked because of the existing custom resources: ${tc.message}`,
      );
    });
  }
});

const DELETION_BLOCKERS = [
  {
    name: "an APIRule",
    object: object("gateway.kyma-project.io/v1beta1", "APIRule", "demo/rule", {
      spec: { gateway: "demo/gw" },
    }),
    description: "There are APIRule(s) that block the deletion of API-Gateway CR.",
  },
  {
    name: "an Ory Rule",
    object: object("oathkeeper.ory.sh/v1alpha1", "Rule", "demo/rule"),
    description: "There are ORY Oathkeeper Rule(s) that block the deletion of API-Gateway CR.",
  },
  {
    name: "a RateLimit",
    object: object("gateway.kyma-project.io/v1alpha1", "RateLimit", "demo/limit"),
    description: "There are RateLimit(s) that block the deletion of API-Gateway CR.",
  },
  {
    name: "a VirtualService on the Kyma Gateway",
    object: blockingVirtualService(),
    description: "There are custom resources that block the deletion of Kyma Gateway.",
  },
];

Deno.test("planAPIGateway() keeps everything while the CR's deletion is blocked", async (t) => {
  const finalizers = [MODULE_FINALIZER, KYMA_GATEWAY_FINALIZER];
  for (const tc of DELETION_BLOCKERS) {
    await t.step(tc.name, () => {
      const cr = apiGateway("default", {
        spec: { enableKymaGateway: true, networkPoliciesEnabled: true },
        metadata: { ...DELETED_AT, finalizers },
      });
      const result = plan(cr, [tc.object]);
      assert.equal(result.state, "Warning");
      assert.ok(result.description.startsWith(tc.description), result.description);
      assert.deepEqual(result.cr?.metadata.finalizers, finalizers);
      for (const kept of [GATEWAY, DEPLOYMENT, POLICY]) {
        assert.ok(keys(result.apply).includes(kept), kept);
      }
      assert.deepEqual(
        keys(result.delete).filter((k) => [GATEWAY, DEPLOYMENT, POLICY].includes(k)),
        [],
      );
      assert.equal(result.complete, false);
    });
  }
});

Deno.test("planAPIGateway() tears everything down before it lets the CR go", async (t) => {
  const cases = [
    {
      name: "both finalizers: all deleted, CR gone",
      finalizers: [MODULE_FINALIZER, KYMA_GATEWAY_FINALIZER],
      gatewayDeleted: true,
      remaining: undefined,
    },
    {
      name: "no Kyma Gateway finalizer: the gateway is not touched",
      finalizers: [MODULE_FINALIZER],
      gatewayDeleted: false,
      remaining: undefined,
    },
    {
      name: "a foreign finalizer: the CR stays with it",
      finalizers: ["x/y", MODULE_FINALIZER],
      gatewayDeleted: false,
      remaining: ["x/y"],
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const cr = apiGateway("default", {
        spec: { enableKymaGateway: true },
        metadata: { ...DELETED_AT, finalizers: tc.finalizers },
      });
      const result = plan(cr);
      assert.deepEqual(result.apply, []);
      const deleted = keys(result.delete);
      for (const gone of [POLICY, DEPLOYMENT, RULE_CRD]) assert.ok(deleted.includes(gone), gone);
      assert.equal(deleted.includes(GATEWAY), tc.gatewayDeleted);
      assert.equal(result.cr === undefined, tc.remaining === undefined);
      assert.deepEqual(result.cr?.metadata.finalizers, tc.remaining);
      assert.equal(result.state, "Ready");
    });
  }
});
