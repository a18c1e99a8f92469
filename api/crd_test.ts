import assert from "node:assert/strict";
import { generatedFiles } from "./generated.ts";

Deno.test("generatedFiles() matches the committed manifests/crds (run `deno task gen`)", async () => {
  const root = new URL("../", import.meta.url);
  for (const [path, text] of generatedFiles()) {
    const committed = await Deno.readTextFile(new URL(path, root)).catch(() => "");
    assert.equal(committed, text, `${path} is stale: run \`deno task gen\``);
  }
});
