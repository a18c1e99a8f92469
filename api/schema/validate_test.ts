import assert from "node:assert/strict";
import fc from "fast-check";
import {
  array,
  boolean,
  enumOf,
  freeform,
  integer,
  intOrString,
  object,
  record,
  string,
} from "./build.ts";
import { codePointLength, prune, validateSchema } from "./validate.ts";
import { formatProblem } from "./problem.ts";

const Thing = object({
  name: string({ pattern: "^[a-z]+$", maxLength: 5, minLength: 2 }),
  port: integer({ minimum: 1, maximum: 10 }),
  mode: enumOf(["a", "b"]),
  tags: array(string(), { minItems: 1, maxItems: 2 }),
  labels: record(string(), { minProperties: 1 }),
  config: freeform(),
  flag: boolean(),
  either: intOrString(),
}, {
  required: ["name"],
  rules: [{ rule: "!has(self.flag) || has(self.port)", message: "flag needs port" }],
});

function messages(value: unknown): string[] {
  return validateSchema(Thing, value, "spec").map(formatProblem);
}

Deno.test("validateSchema() accepts a value that satisfies every constraint", () => {
  assert.deepEqual(
    messages({
      name: "abc",
      port: 3,
      mode: "a",
      tags: ["x"],
      labels: { a: "b" },
      config: { any: { thing: [1] } },
      flag: true,
      either: "50%",
    }),
    [],
  );
});

Deno.test("validateSchema() reports each structural violation in apiserver notation", async (t) => {
  const cases: Array<[string, unknown, string]> = [
    ["required", {}, "spec.name: Required value"],
    [
      "type",
      { name: 5 },
      'spec.name: Invalid value: "integer": spec.name in body must be of type string: "integer"',
    ],
    [
      "pattern",
      { name: "AB" },
      `spec.name: Invalid value: "AB": spec.name in body should match '^[a-z]+$'`,
    ],
    ["maxLength", { name: "abcdef" }, "spec.name: Too long: may not be more than 5 bytes"],
    [
      "minLength",
      { name: "a" },
      'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long',
    ],
    [
      "maximum",
      { name: "ab", port: 11 },
      "spec.port: Invalid value: 11: spec.port in body should be less than or equal to 10",
    ],
    [
      "minimum",
      { name: "ab", port: 0 },
      "spec.port: Invalid value: 0: spec.port in body should be greater than or equal to 1",
    ],
    [
      "enum",
      { name: "ab", mode: "c" },
      'spec.mode: Unsupported value: "c": supported values: "a", "b"',
    ],
    [
      "maxItems",
      { name: "ab", tags: ["a", "b", "c"] },
      "spec.tags: Too many: 3: must have at most 2 items",
    ],
    [
      "minItems",
      { name: "ab", tags: [] },
      "spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items",
    ],
    [
      "minProperties",
      { name: "ab", labels: {} },
      "spec.labels: Invalid value: 0: spec.labels in body should have at least 1 properties",
    ],
    ["unknown field", { name: "ab", extra: 1 }, 'spec.extra: unknown field "spec.extra"'],
    [
      "int-or-string",
      { name: "ab", either: true },
      'spec.either: Invalid value: true: spec.either in body must be of type integer,string: "boolean"',
    ],
    ["CEL rule", { name: "ab", flag: true }, 'spec: Invalid value: "object": flag needs port'],
  ];
  for (const [name, value, expected] of cases) {
    await t.step(name, () => assert.deepEqual(messages(value), [expected]));
  }
});

Deno.test("validateSchema() reports every problem, not only the first", () => {
  assert.equal(messages({ name: "XY", port: 99, mode: "z", tags: [] }).length, 4);
});

Deno.test("validateSchema() evaluates CEL integers as int, so integer comparisons work", () => {
  const S = object({ n: integer() }, { rules: [{ rule: "self.n > 2", message: "too small" }] });
  assert.deepEqual(validateSchema(S, { n: 3 }), []);
  assert.equal(validateSchema(S, { n: 1 }).length, 1);
});

Deno.test("validateSchema() reports a CEL rule that cannot be evaluated instead of throwing", () => {
  const S = object({ a: string() }, { rules: [{ rule: "self.a.size() > 0", message: "m" }] });
  const problems = validateSchema(S, {});
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.path, "");
});

Deno.test("validateSchema() never throws, whatever the input", () => {
  fc.assert(
    fc.property(fc.anything(), (value) => {
      validateSchema(Thing, value, "spec");
      validateSchema(Thing, { name: "ab", ...(typeof value === "object" ? value : {}) }, "spec");
    }),
    { numRuns: 2000 },
  );
});

Deno.test("prune() drops unknown fields and keeps free-form ones", () => {
  assert.deepEqual(
    prune(Thing, { name: "ab", extra: 1, config: { x: { y: 1 } }, labels: { a: "b" } }),
    { name: "ab", config: { x: { y: 1 } }, labels: { a: "b" } },
  );
});

Deno.test("prune() keeps object metadata as it is", () => {
  const S = object({ metadata: { type: "object" }, spec: object({ a: string() }) });
  assert.deepEqual(
    prune(S, { metadata: { name: "x", labels: { a: "b" } }, spec: { a: "1", b: 2 } }),
    { metadata: { name: "x", labels: { a: "b" } }, spec: { a: "1" } },
  );
});

Deno.test("validateSchema() checks the duration and date-time formats as the apiserver does", async (t) => {
  const S = object({ d: string({ format: "duration" }), t: string({ format: "date-time" }) });
  const cases: Array<[string, unknown, number]> = [
    ["Go duration", { d: "1m30.5s" }, 0],
    ["zero", { d: "0" }, 0],
    ["days (accepted by the apiserver)", { d: "1d" }, 0],
    ["not a duration", { d: "abc" }, 1],
    ["unknown unit", { d: "5x" }, 1],
    ["RFC 3339", { t: "2026-01-01T00:00:00Z" }, 0],
    ["not a date-time", { t: "yesterday" }, 1],
  ];
  for (const [name, value, count] of cases) {
    await t.step(name, () => assert.equal(validateSchema(S, value).length, count));
  }
});

Deno.test("codePointLength counts characters as the apiserver does, pairs once, lone halves each", () => {
  for (const text of ["", "abc", "ä€", "😀x😀", "\udfff\udfff", "\ud83d", "a\ud83d\ude00\ud83d"]) {
    assert.equal(codePointLength(text), [...text].length, JSON.stringify(text));
  }
});

Deno.test("a schema pattern is searched in linear time, as the apiserver's RE2 does", () => {
  // Upstream's v1beta1 host pattern: three overlapping quantifiers, cubic on V8's RegExp.
  const pattern = "^([a-zA-Z0-9][a-zA-Z0-9-_]*\\.)*[a-zA-Z0-9]*[a-zA-Z0-9-_]*[[a-zA-Z0-9]+$";
  const host = `${"a".repeat(65_536)}é`;
  const problems = validateSchema(string({ pattern }), host);
  assert.equal(problems.length, 1);
  assert.match(formatProblem(problems[0]!), /should match/);
  // Unanchored, as Go's MatchString: a pattern matches anywhere in the value.
  assert.equal(validateSchema(string({ pattern: "b+" }), "aaabbb").length, 0);
});
