import assert from "node:assert/strict";
import { CustomObjectsApi, KubeConfig, makeInformer } from "@kubernetes/client-node";
import { list, str } from "./_json.ts";
import { virtualService, virtualServicesPath } from "./_fixtures.ts";
import { poll, testCluster, uniqueName } from "./mod.ts";

Deno.test("testCluster() creates and lists VirtualServices (networking.istio.io/v1)", async () => {
  const cluster = testCluster();
  const ns = uniqueName("vs-list");
  await cluster.ensureNamespace(ns);
  for (const name of ["orders", "payments"]) {
    const created = await cluster.request("POST", virtualServicesPath(ns), virtualService(name));
    assert.equal(created.status, 201, created.text);
  }
  const listed = await cluster.request("GET", virtualServicesPath(ns));
  assert.equal(listed.status, 200);
  const names = list(listed.json, "items").map((item) => str(item, "metadata", "name"));
  assert.deepEqual(names.sort(), ["orders", "payments"]);
});

Deno.test("makeInformer() sees a VirtualService ADDED, MODIFIED and DELETED", async () => {
  const cluster = testCluster();
  const ns = uniqueName("vs-watch");
  await cluster.ensureNamespace(ns);
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(cluster.kubeconfigPath);
  const api = kubeconfig.makeApiClient(CustomObjectsApi);
  const group = "networking.istio.io";
  const informer = makeInformer(
    kubeconfig,
    virtualServicesPath(ns),
    () =>
      api.listNamespacedCustomObject({
        group,
        version: "v1",
        namespace: ns,
        plural: "virtualservices",
      }),
  );
  const seen: string[] = [];
  informer.on("add", (object) => seen.push(`ADDED ${object.metadata?.name}`));
  informer.on("update", (object) => seen.push(`MODIFIED ${object.metadata?.name}`));
  informer.on("delete", (object) => seen.push(`DELETED ${object.metadata?.name}`));
  await informer.start();
  try {
    const path = `${virtualServicesPath(ns)}/watched`;
    assert.equal(
      (await cluster.request("POST", virtualServicesPath(ns), virtualService("watched"))).status,
      201,
    );
    await poll(() => seen.includes("ADDED watched") || undefined, { what: "ADDED" });
    const patch = { spec: { hosts: ["changed.example.com"] } };
    const patched = await cluster.request("PATCH", path, patch, "application/merge-patch+json");
    assert.equal(patched.status, 200, patched.text);
    await poll(() => seen.includes("MODIFIED watched") || undefined, { what: "MODIFIED" });
    assert.equal((await cluster.request("DELETE", path)).status, 200);
    await poll(() => seen.includes("DELETED watched") || undefined, { what: "DELETED" });
    assert.deepEqual(seen, ["ADDED watched", "MODIFIED watched", "DELETED watched"]);
  } finally {
    await informer.stop();
  }
});

Deno.test("testCluster() records the field manager of a server-side applied VirtualService", async (t) => {
  const cluster = testCluster();
  const ns = uniqueName("vs-apply");
  await cluster.ensureNamespace(ns);
  const path = `${virtualServicesPath(ns)}/applied`;
  const apply = (manager: string, body: unknown, force = false) =>
    cluster.request(
      "PATCH",
      `${path}?fieldManager=${manager}${force ? "&force=true" : ""}`,
      body,
      "application/apply-patch+yaml",
    );

  await t.step("the first apply creates the object", async () => {
    const response = await apply("apigw-test-ssa", virtualService("applied"));
    assert.equal(response.status, 201, response.text);
  });
  await t.step("managedFields names the manager with operation Apply", async () => {
    const response = await cluster.request("GET", path);
    const managers = list(response.json, "metadata", "managedFields").map((entry) =>
      `${str(entry, "manager")}/${str(entry, "operation")}`
    );
    assert.ok(managers.includes("apigw-test-ssa/Apply"), managers.join(", "));
  });
  await t.step(
    "another manager changing an owned field conflicts (409) without force",
    async () => {
      const response = await apply(
        "someone-else",
        virtualService("applied", { host: "x.example.com" }),
      );
      assert.equal(response.status, 409, response.text);
      assert.match(response.text, /conflict/i);
    },
  );
  await t.step("with force the other manager takes the field over", async () => {
    const body = virtualService("applied", { host: "x.example.com" });
    assert.equal((await apply("someone-else", body, true)).status, 200);
    const response = await cluster.request("GET", path);
    assert.deepEqual(list(response.json, "spec", "hosts"), ["x.example.com"]);
  });
});
