import assert from "node:assert/strict";
import { str } from "./_json.ts";
import { configMap, virtualService, virtualServicesPath } from "./_fixtures.ts";
import { testCluster, uniqueName } from "./mod.ts";

Deno.test("restartApiserver() keeps every object", async () => {
  const cluster = testCluster();
  const ns = uniqueName("restart");
  await cluster.ensureNamespace(ns);
  const objects = [
    { collection: `/api/v1/namespaces/${ns}/configmaps`, body: configMap("kept", { a: "1" }) },
    { collection: virtualServicesPath(ns), body: virtualService("kept") },
  ];
  const before = new Map<string, string | undefined>();
  for (const object of objects) {
    const response = await cluster.request("POST", object.collection, object.body);
    assert.equal(response.status, 201, response.text);
    before.set(`${object.collection}/kept`, str(response.json, "metadata", "uid"));
  }

  await cluster.restartApiserver();

  for (const [path, uid] of before) {
    const response = await cluster.request("GET", path);
    assert.equal(response.status, 200, `${path}: ${response.text}`);
    assert.equal(str(response.json, "metadata", "uid"), uid, path);
  }
  const data = await cluster.request("GET", `/api/v1/namespaces/${ns}/configmaps/kept`);
  assert.equal(str(data.json, "data", "a"), "1");
});
