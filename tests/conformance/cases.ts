/**
 * The render conformance cases of tests/fixtures/conformance, by folder: what both modes of the
 * harness run — offline through `apigw render` (render_test.ts) and live through the operator on
 * the test cluster (tests/operator/conformance_live_test.ts). A new case file is picked up without
 * code changes.
 */

export const RENDER_FOLDERS = ["apirule-v2", "apirule-v1beta1", "ratelimit", "apigateway"] as const;
export type RenderFolder = typeof RENDER_FOLDERS[number];

export const CONFORMANCE_ROOT = new URL("../fixtures/conformance/", import.meta.url);

/** The case files of a folder, sorted by name. */
export function caseFiles(folder: string): URL[] {
  const dir = new URL(`${folder}/`, CONFORMANCE_ROOT);
  return [...Deno.readDirSync(dir)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".yaml"))
    .map((entry) => entry.name)
    .sort()
    .map((name) => new URL(name, dir));
}
