/**
 * Every render case of ../shared/conformance (apirule-v2, apirule-v1beta1, ratelimit,
 * apigateway) through `apigw render`; a new case file is picked up without code changes.
 */
import assert from "node:assert/strict";
import { judgeRender, readRenderCase, runRender } from "./render_case.ts";

const FOLDERS = ["apirule-v2", "apirule-v1beta1", "ratelimit", "apigateway"];
const ROOT = new URL("../../../shared/conformance/", import.meta.url);

for (const folder of FOLDERS) {
  Deno.test(`render conformance: ${folder}`, async (t) => {
    const dir = new URL(`${folder}/`, ROOT);
    const files = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".yaml")).map((e) =>
      e.name
    ).sort();
    assert.ok(files.length > 0, `no cases in ${dir.pathname}`);
    for (const file of files) {
      await t.step(file, async () => {
        const c = readRenderCase(new URL(file, dir));
        const problems = judgeRender(c, await runRender(c.input), folder);
        assert.deepEqual(problems, [], `${folder}/${file}:\n  ${problems.join("\n  ")}`);
      });
    }
  });
}
