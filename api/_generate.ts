/**
 * `deno task gen`: writes the generated files of the API model (the CRD YAML in
 * `manifests/crds/`). Run it after changing a schema; `crd_test.ts` fails while they are stale.
 */
import { generatedFiles } from "./generated.ts";

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  for (const [path, text] of generatedFiles()) {
    await Deno.writeTextFile(new URL(path, root), text);
    console.log(`Wrote ${path}`);
  }
}
