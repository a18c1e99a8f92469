import assert from "node:assert/strict";
import type { HttpMethod } from "../apirule/v2.ts";
import { pathConflictFailures, pathTemplateFailures } from "./paths.ts";

const GET: HttpMethod[] = ["GET"];
const P1 = "Only one {**} operator is allowed in the path.";
const P2 = "The {**} operator must be the last operator in the path.";

Deno.test("pathTemplateFailures() checks the {**} operator (P1, P2)", async (t) => {
  const cases: Array<{ name: string; path: string; message?: string }> = [
    { name: "P1 fails on two {**}", path: "/a/{**}/b/{**}", message: P1 },
    { name: "P1 passes one {**}", path: "/a/{**}" },
    { name: "P2 fails on {*} after {**}", path: "/a/{**}/b/{*}", message: P2 },
    { name: "P2 passes {*} before {**}", path: "/a/{*}/b/{**}" },
    { name: "P2 passes literals after {**}", path: "/{**}/b/c" },
    { name: "P1/P2 pass a path without operators", path: "/headers" },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      assert.deepEqual(
        pathTemplateFailures(".spec.rules[0].path", tc.path),
        tc.message === undefined
          ? []
          : [{ attributePath: ".spec.rules[0].path", message: tc.message }],
      );
    });
  }
});

type Case = { name: string; rules: Array<[string, HttpMethod[]]>; conflict?: string };

const conflict = (path: string, method = "GET") =>
  `Path ${path} with method ${method} conflicts with at least one of the previous rule paths`;

// §13.5's table, then the upstream false positives and the false negative that the exact test
// fixes (D3).
const P3_CASES: Case[] = [
  { name: "equal paths", rules: [["/abc", ["GET"]], ["/abc", ["GET"]]], conflict: "/abc" },
  {
    name: "{*} covers a segment",
    rules: [["/abc/{*}", ["GET"]], ["/abc/def", ["GET"]]],
    conflict: "/abc/def",
  },
  {
    name: "{**} covers a segment",
    rules: [["/abc/{**}", ["GET"]], ["/abc/def", ["GET"]]],
    conflict: "/abc/def",
  },
  {
    name: "{**} covers {*}/one",
    rules: [["/anything/{**}", ["GET"]], ["/anything/{*}/one", ["GET"]]],
    conflict: "/anything/{*}/one",
  },
  {
    name: "/* covers everything",
    rules: [["/*", ["GET"]], ["/anything", ["GET"]]],
    conflict: "/anything",
  },
  {
    name: "/{**} covers /{**}/def/ghi",
    rules: [["/{**}", ["GET"]], ["/{**}/def/ghi", ["GET"]]],
    conflict: "/{**}/def/ghi",
  },
  {
    name: "{**} in the middle covers {*}",
    rules: [["/abc/{**}/ghi", ["GET"]], ["/abc/{*}/ghi", ["GET"]]],
    conflict: "/abc/{*}/ghi",
  },
  {
    name: "a catch-all after a catch-all",
    rules: [["/{**}", ["GET"]], ["/*", ["GET"]]],
    conflict: "/{**}",
  },
  {
    name: "the conflicting method is named",
    rules: [["/abc", ["GET", "POST"]], ["/abc", ["PUT", "POST"]]],
    conflict: conflict("/abc", "POST"),
  },
  { name: "specific before general", rules: [["/abc/def", ["GET"]], ["/abc/{*}", ["GET"]]] },
  {
    name: "{*}/one before {**}",
    rules: [["/anything/{*}/one", ["GET"]], ["/anything/{**}", ["GET"]]],
  },
  { name: "/abc before /abc/{**}", rules: [["/abc", ["GET"]], ["/abc/{**}", ["GET"]]] },
  { name: "/abc/ before /abc/{*}", rules: [["/abc/", ["GET"]], ["/abc/{*}", ["GET"]]] },
  { name: "/anything before /*", rules: [["/anything", ["GET"]], ["/*", ["GET"]]] },
  { name: "/ before /*", rules: [["/", ["GET"]], ["/*", ["GET"]]] },
  { name: "same path, disjoint methods", rules: [["/abc", ["GET"]], ["/abc", ["POST"]]] },
  { name: "D3: /{*} before /* is no conflict", rules: [["/{*}", ["GET"]], ["/*", ["GET"]]] },
  { name: "D3: /{*} before / is no conflict", rules: [["/{*}", ["GET"]], ["/", ["GET"]]] },
  { name: "D3: /foo/{*} before /foo/{**}", rules: [["/foo/{*}", ["GET"]], ["/foo/{**}", ["GET"]]] },
  { name: "D3: /a/{**}/b before /a/b", rules: [["/a/{**}/b", ["GET"]], ["/a/b", ["GET"]]] },
  {
    name: "D3: /a/b, /a, /a finds the duplicate",
    rules: [["/a/b", ["GET"]], ["/a", ["GET"]], ["/a", ["GET"]]],
    conflict: "/a",
  },
  {
    name: "{*} covers %-escapes",
    rules: [["/files/{*}", ["GET"]], ["/files/a%20b", ["GET"]]],
    conflict: "/files/a%20b",
  },
  {
    name: "a literal dot is not a wildcard (D2)",
    rules: [["/file.txt", ["GET"]], ["/fileXtxt", ["GET"]]],
  },
  { name: "a duplicate method within one rule", rules: [["/abc", ["GET", "GET"]]] },
];

Deno.test("pathConflictFailures() reports a path that an earlier path covers (P3)", async (t) => {
  for (const tc of P3_CASES) {
    await t.step(`P3 ${tc.name}`, () => {
      const rules = tc.rules.map(([path, methods], index) => ({ index, path, methods }));
      const expected = tc.conflict === undefined ? [] : [{
        attributePath: ".spec.rules",
        message: tc.conflict.startsWith("Path ") ? tc.conflict : conflict(tc.conflict),
      }];
      assert.deepEqual(pathConflictFailures(rules), expected);
    });
  }
});

Deno.test("pathConflictFailures() reports at most one conflict", () => {
  const methods: HttpMethod[][] = [["GET", "POST"], ["POST"], ["GET"]];
  const rules = ["/*", "/a", "/b"].map((path, index) => ({
    index,
    path,
    methods: methods[index] ?? [],
  }));
  assert.deepEqual(pathConflictFailures(rules).map((f) => f.message), [conflict("/a", "POST")]);
});

Deno.test("pathConflictFailures() gives up on a path built to blow up the test", () => {
  const earlier = "/" + Array(200).fill("{**}").join("a");
  const later = "/" + Array(200).fill("{*}").join("a");
  const rules = [{ index: 0, path: earlier, methods: GET }, {
    index: 1,
    path: later,
    methods: GET,
  }];
  const started = performance.now();
  assert.deepEqual(pathConflictFailures(rules), []);
  assert.ok(performance.now() - started < 5_000);
});
