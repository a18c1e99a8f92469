import assert from "node:assert/strict";
import { pathsOverlap } from "./paths_overlap.ts";

Deno.test("pathsOverlap() tells whether two paths share a request path", async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ["/a", "/a", true],
    ["/a", "/b", false],
    ["/a", "/{*}", true],
    ["/{*}", "/", false],
    ["/a/{**}", "/a", false],
    ["/a/{**}", "/a/", true],
    ["/a/{**}", "/a/b/c", true],
    ["/*", "/anything/{*}", true],
    ["/*", "/", true],
    ["/a/{*}/c", "/a/b/{*}", true],
    ["/a/{*}/c", "/a/b/d", false],
    ["/x/{**}", "/y/{**}", false],
  ];
  for (const [a, b, expected] of cases) {
    await t.step(`${a} ~ ${b}`, () => {
      assert.equal(pathsOverlap(a, b), expected);
      assert.equal(pathsOverlap(b, a), expected);
    });
  }
});
