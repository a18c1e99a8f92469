/**
 * Every render case of tests/fixtures/conformance (apirule-v2, apirule-v1beta1, ratelimit,
 * apigateway) through `apigw render`; a new case file is picked up without code changes.
 */
import assert from "node:assert/strict";
import { caseFiles, RENDER_FOLDERS } from "./cases.ts";
import { judgeRender, readRenderCase, runRender } from "./render_case.ts";

for (const folder of RENDER_FOLDERS) {
  Deno.test(`render conformance: ${folder}`, async (t) => {
    const files = caseFiles(folder);
    assert.ok(files.length > 0, `no cases in ${folder}`);
    for (const file of files) {
      const name = file.pathname.split("/").pop() ?? "";
      await t.step(name, async () => {
        const c = readRenderCase(file);
        const problems = judgeRender(c, await runRender(c.input), folder);
        assert.deepEqual(problems, [], `${folder}/${name}:\n  ${problems.join("\n  ")}`);
      });
    }
  });
}
