import assert from "node:assert/strict";
import fc from "fast-check";
import { covers, coversByWalk } from "./_path_cover.ts";

// Paths of a few segments from a small alphabet, with wildcards, so that pairs often overlap.
const segment = fc.constantFrom("a", "b", "ab", "%41", "{*}", "{**}", "a{*}", "");
const path = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join("/")}`),
  fc.constant("/*"),
);

Deno.test("covers() answers as the product walk for any two paths, literal ones by shortcut", () => {
  fc.assert(
    fc.property(path, path, (earlier, later) => {
      assert.equal(covers(earlier, later), coversByWalk(earlier, later), `${earlier} ⊇ ${later}`);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("covers() on 60 000-character literal paths", () => {
  const long = `/${"a".repeat(60_000)}`;
  assert.equal(covers(long, long), true);
  assert.equal(covers("/{**}", long), true);
  assert.equal(covers(`/${"a".repeat(59_999)}{*}`, long), true);
  assert.equal(covers(long, "/{**}"), false);
  assert.equal(covers(long, `${long}b`), false);
});
