/**
 * The live mode of the conformance cases: every render case of tests/fixtures/conformance, applied to a
 * clean cluster where a real `apigw operator` runs with the RBAC of `apigw manifests`, must give
 * the objects and statuses `render` gives, by the same judge (tests/conformance/render_case.ts).
 */
import assert from "node:assert/strict";
import { testCluster } from "../cluster/mod.ts";
import { caseFiles, RENDER_FOLDERS } from "../conformance/cases.ts";
import { readRenderCase } from "../conformance/render_case.ts";
import { runLiveCase } from "./_live_case.ts";
import { operatorAccess, startOperator } from "./_operator.ts";

/** Runs only the cases whose `folder/file` matches (a quicker loop while working on one). */
const ONLY = Deno.env.get("APIGW_LIVE_CASES");

Deno.test("live conformance: every render case through the operator", async (t) => {
  const cluster = testCluster();
  await cluster.reset();
  const kubeconfig = await operatorAccess(cluster);
  const operator = await startOperator(cluster, kubeconfig, { name: "conformance" });
  try {
    for (const folder of RENDER_FOLDERS) {
      await t.step(folder, async (t) => {
        for (const file of caseFiles(folder)) {
          const name = file.pathname.split("/").pop() ?? "";
          if (ONLY !== undefined && !new RegExp(ONLY).test(`${folder}/${name}`)) continue;
          await t.step(name, async () => {
            const c = readRenderCase(file);
            const { problems, run } = await runLiveCase(cluster, operator, { case: c, folder });
            assert.deepEqual(
              problems,
              [],
              `${folder}/${name}:\n  ${problems.join("\n  ")}\nstderr: ${run.stderr}`,
            );
          });
        }
      });
    }
  } finally {
    await operator.stop();
  }
});
