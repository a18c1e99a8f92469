import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { list, str } from "./_json.ts";
import { readCrds } from "./crds.ts";
import { testCluster } from "./mod.ts";

const FIXTURE_CRDS = fileURLToPath(new URL("../fixtures/crds/", import.meta.url));

async function sharedCrdFiles(): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(FIXTURE_CRDS)) {
    if (entry.name.endsWith(".yaml")) files.push(`${FIXTURE_CRDS}${entry.name}`);
  }
  return files.sort();
}

Deno.test("installCrds() leaves every Istio, Gardener and Oathkeeper CRD Established", async (t) => {
  const cluster = testCluster();
  const crds = await readCrds(await sharedCrdFiles());
  assert.ok(crds.length >= 17, `expected the 17 shared CRDs, found ${crds.length}`);
  for (const crd of crds) {
    const name = str(crd, "metadata", "name") ?? "";
    await t.step(name, async () => {
      const response = await cluster.request(
        "GET",
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      assert.equal(response.status, 200);
      const conditions = list(response.json, "status", "conditions");
      for (const type of ["NamesAccepted", "Established"]) {
        const condition = conditions.find((c) => str(c, "type") === type);
        assert.equal(str(condition, "status"), "True", `${name} ${type}`);
      }
    });
  }
});
