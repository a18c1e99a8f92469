/**
 * Render cases of `spec.global` (apigw): the same case format and judge as the conformance
 * cases of tests/fixtures/conformance/ratelimit, through the real `apigw render`.
 */
import assert from "node:assert/strict";
import { judgeRender, readRenderCase, runRender } from "../conformance/render_case.ts";

const DIR = new URL("./render/", import.meta.url);

Deno.test("apigw render: RateLimit spec.global cases", async (t) => {
  const files = [...Deno.readDirSync(DIR)].filter((e) => e.name.endsWith(".yaml"))
    .map((e) => e.name).sort();
  assert.ok(files.length > 0);
  for (const name of files) {
    await t.step(name, async () => {
      const c = readRenderCase(new URL(name, DIR));
      const problems = judgeRender(c, await runRender(c.input), "ratelimit");
      assert.deepEqual(problems, [], `${name}:\n  ${problems.join("\n  ")}`);
    });
  }
});
