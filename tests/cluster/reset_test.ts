import assert from "node:assert/strict";
import { configMap, virtualService, virtualServicesPath } from "./_fixtures.ts";
import { TEST_CREATED_LABEL, testCluster, uniqueName } from "./mod.ts";

const HOLD = "apigw.test/hold";

interface Leftover {
  /** Collection URL path to create at. */
  collection: string;
  /** How reset() names it: `<resource> <namespace>/<name>`. */
  key: string;
  name: string;
  body: unknown;
}

/** Objects an earlier case leaves behind, some held by a finalizer nothing would remove. */
function leftovers(namespaces: readonly string[]): Leftover[] {
  const objects: Leftover[] = [];
  for (const ns of namespaces) {
    const configMaps = `/api/v1/namespaces/${ns}/configmaps`;
    const held = { ...configMap("held"), metadata: { name: "held", finalizers: [HOLD] } };
    objects.push(
      {
        collection: configMaps,
        key: `configmaps ${ns}/plain`,
        name: "plain",
        body: configMap("plain"),
      },
      { collection: configMaps, key: `configmaps ${ns}/held`, name: "held", body: held },
      {
        collection: virtualServicesPath(ns),
        key: `virtualservices ${ns}/leftover`,
        name: "leftover",
        body: virtualService("leftover"),
      },
    );
  }
  const role = uniqueName("reset-role");
  const gateway = uniqueName("reset-gateway");
  objects.push({
    collection: "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    key: `clusterroles /${role}`,
    name: role,
    body: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: role, labels: { [TEST_CREATED_LABEL]: "true" } },
      rules: [],
    },
  }, {
    collection: "/apis/operator.kyma-project.io/v1alpha1/apigateways",
    key: `apigateways /${gateway}`,
    name: gateway,
    body: {
      apiVersion: "operator.kyma-project.io/v1alpha1",
      kind: "APIGateway",
      metadata: { name: gateway, finalizers: [HOLD] },
      spec: { enableKymaGateway: true },
    },
  });
  return objects;
}

Deno.test("reset() leaves no object of an earlier case behind", async (t) => {
  const cluster = testCluster();
  const namespaces = [uniqueName("reset-a"), uniqueName("reset-b")];
  for (const ns of namespaces) await cluster.ensureNamespace(ns);
  const objects = leftovers(namespaces);
  for (const object of objects) {
    const response = await cluster.request("POST", object.collection, object.body);
    assert.equal(response.status, 201, `${object.collection}: ${response.text}`);
  }

  const { deleted } = await cluster.reset();

  await t.step("every object is gone, finalizers or not", async () => {
    for (const object of objects) assert.ok(deleted.includes(object.key), object.key);
    const statuses = await Promise.all(objects.map(async (object) => {
      const response = await cluster.request("GET", `${object.collection}/${object.name}`);
      return `${object.key} ${response.status}`;
    }));
    assert.deepEqual(statuses, objects.map((object) => `${object.key} 404`));
  });
  await t.step("namespaces, CRDs and objects from before the tests stay", async () => {
    for (const ns of [...namespaces, "default", "kyma-system", "istio-system"]) {
      assert.equal((await cluster.request("GET", `/api/v1/namespaces/${ns}`)).status, 200, ns);
    }
    const kubernetes = await cluster.request(
      "GET",
      "/api/v1/namespaces/default/services/kubernetes",
    );
    assert.equal(kubernetes.status, 200);
    const crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    const crd = await cluster.request("GET", `${crds}/virtualservices.networking.istio.io`);
    assert.equal(crd.status, 200);
  });
});
