import assert from "node:assert/strict";
import { pathTemplate } from "./paths.ts";
import { pathMatcher } from "../authz/rule.ts";
import { v1beta1PathMatcher } from "../authz/oathkeeper/compile.ts";

const REWRITES = [
  { path: "/.*", template: "/{**}", dots: 0 },
  { path: "/foo/.*", template: "/foo/{**}", dots: 0 },
  { path: "/foo/[^/]+", template: "/foo/{*}", dots: 0 },
  { path: "/foo/[^/]+/bar", template: "/foo/{*}/bar", dots: 0 },
  { path: "/*", template: "/*", dots: 0 },
  { path: "/anything", template: "/anything", dots: 0 },
  { path: "^/headers$", template: "/headers", dots: 0 },
  { path: "/file\\.txt", template: "/file.txt", dots: 0 },
  { path: "/a\\(b\\)\\+c", template: "/a(b)+c", dots: 0 },
  { path: "/file.txt", template: "/file.txt", dots: 1 },
];

const REFUSALS = [
  { path: "/foo.*", why: /not a whole trailing segment/ },
  { path: "/foo/.+", why: /"\.\+" inside a segment/ },
  { path: "/(a|b)", why: /"\(" is regex syntax/ },
  { path: "/a?", why: /"\?" is regex syntax/ },
  { path: "/a/[^/]*", why: /"\[" is regex syntax/ },
  { path: "/x[^/]+", why: /not a whole segment/ },
  { path: "/\\d+", why: /character class/ },
  { path: "/.*/x", why: /".\*" inside a segment/ },
  { path: "/a//b", why: /empty segment/ },
  { path: "/%41", why: /decoded before matching/ },
];

Deno.test("pathTemplate() rewrites regexes that match the same canonical paths", async (t) => {
  for (const tc of REWRITES) {
    await t.step(tc.path, () => {
      const result = pathTemplate(tc.path);
      assert.ok(result.ok, result.ok ? "" : result.error);
      assert.equal(result.value.template, tc.template);
      assert.equal(result.value.narrowedDots.length, tc.dots);
    });
  }
});

Deno.test("pathTemplate() refuses regexes no template matches alike, saying why", async (t) => {
  for (const tc of REFUSALS) {
    await t.step(tc.path, () => {
      const result = pathTemplate(tc.path);
      assert.ok(!result.ok, `"${tc.path}" was rewritten`);
      assert.match(result.error, tc.why);
      assert.match(
        result.error,
        new RegExp(`path "${tc.path.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}"`),
      );
    });
  }
});

// Canonical paths: what core/authz/canonical.ts lets through, with segments of every alphabet.
const SAMPLES = [
  "/",
  "/foo",
  "/foo/",
  "/foo/x",
  "/foo/x/y",
  "/foo/x/bar",
  "/foo/%C3%A9/bar",
  "/foox",
  "/fo",
  "/file.txt",
  "/fileXtxt",
  "/anything",
  "/headers",
  "/a(b)+c",
  "/foo//bar",
  "/foo/a.b~c!$&'*+,;=:@",
];

Deno.test("pathTemplate() keeps the matched set: v1beta1 regex and v2 template agree", async (t) => {
  for (const tc of REWRITES.filter((r) => r.dots === 0)) {
    await t.step(tc.path, () => {
      const before = v1beta1PathMatcher({ path: tc.path });
      const after = pathMatcher(tc.template);
      for (const sample of SAMPLES) {
        assert.equal(after(sample), before(sample), `${tc.path} vs ${tc.template} on ${sample}`);
      }
    });
  }
});
