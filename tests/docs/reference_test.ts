/**
 * docs/reference/ is what `deno task docs:gen` writes from the code: a command, flag, reason or
 * status text added without regenerating fails here.
 */
import assert from "node:assert/strict";
import { referencePages } from "../../docs/_generate.ts";

Deno.test("docs/reference/ matches what deno task docs:gen writes from the code", async (t) => {
  for (const [name, text] of Object.entries(await referencePages())) {
    await t.step(name, async () => {
      const path = new URL(`../../docs/reference/${name}`, import.meta.url);
      const committed = await Deno.readTextFile(path).catch(() => "");
      assert.ok(committed === text, `docs/reference/${name} is stale: run deno task docs:gen`);
    });
  }
});
