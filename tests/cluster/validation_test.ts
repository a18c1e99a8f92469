import assert from "node:assert/strict";
import { virtualService, virtualServicesPath } from "./_fixtures.ts";
import { testCluster, uniqueName } from "./mod.ts";

const INVALID_VIRTUAL_SERVICES = [
  {
    name: "a number where the schema wants a string",
    field: "spec.http[0].timeout",
    mutate: (vs: ReturnType<typeof virtualService>) => ({
      ...vs,
      spec: { ...vs.spec, http: [{ ...vs.spec.http[0], timeout: 12 }] },
    }),
  },
  {
    name: "a string where the schema wants a list",
    field: "spec.hosts",
    mutate: (vs: ReturnType<typeof virtualService>) => ({
      ...vs,
      spec: { ...vs.spec, hosts: "orders.example.com" },
    }),
  },
];

Deno.test("testCluster() rejects a VirtualService with a schema error (422) naming the field", async (t) => {
  const cluster = testCluster();
  const ns = uniqueName("vs-invalid");
  await cluster.ensureNamespace(ns);
  for (const tc of INVALID_VIRTUAL_SERVICES) {
    await t.step(tc.name, async () => {
      const body = tc.mutate(virtualService("invalid"));
      const response = await cluster.request("POST", virtualServicesPath(ns), body);
      assert.equal(response.status, 422, response.text);
      assert.ok(response.text.includes(tc.field), `"${tc.field}" not in ${response.text}`);
    });
  }
});
