/**
 * The links of the user docs resolve: every relative link of docs/README.md, docs/install.md,
 * docs/troubleshooting.md and docs/tutorials/*.md names an existing file and, with `#anchor`, a
 * heading of it (GitHub's slugs).
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = /^#{1,6} (.+)$/.exec(line);
    if (!fenced && heading !== null) found.add(slug(heading[1]!));
  }
  return found;
}

const pages = [
  "docs/README.md",
  "docs/install.md",
  "docs/troubleshooting.md",
  "docs/migrate.md",
  ...[...Deno.readDirSync(`${ROOT}docs/tutorials`)].map((e) => `docs/tutorials/${e.name}`),
  "README.md",
];

Deno.test("the user docs' relative links name existing files and headings", async () => {
  let checked = 0;
  for (const page of pages) {
    const text = await Deno.readTextFile(join(ROOT, page));
    const prose = text.replace(/```[\s\S]*?```/g, "");
    for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [file, anchor] = target!.split("#");
      const path = file === "" ? page : relative(ROOT, join(ROOT, dirname(page), file!));
      checked++;
      const stat = await Deno.stat(join(ROOT, path)).catch(() => undefined);
      assert.ok(stat !== undefined, `${page}: link ${target} names a missing file`);
      if (anchor !== undefined && stat.isFile) {
        const headings = anchors(await Deno.readTextFile(join(ROOT, path)));
        assert.ok(headings.has(anchor), `${page}: link ${target} names a missing heading`);
      }
    }
  }
  assert.ok(checked > 20, `checked ${checked} links`);
});

Deno.test("slug() follows GitHub's rules for the headings we link to", () => {
  assert.equal(slug("`no_rule_matched`"), "no_rule_matched");
  assert.equal(slug("APIRule status"), "apirule-status");
  assert.equal(
    slug("As an Envoy or Istio ext_authz provider"),
    "as-an-envoy-or-istio-ext_authz-provider",
  );
  assert.equal(slug("Standalone: `apigw serve`"), "standalone-apigw-serve");
});
