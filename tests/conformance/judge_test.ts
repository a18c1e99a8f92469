import assert from "node:assert/strict";
import { matchSubset } from "./judge.ts";

const ACTUAL = {
  kind: "APIRule",
  metadata: { name: "orders", labels: { team: "shop", "gateway.kyma-project.io/hash": "x" } },
  spec: { hosts: ["a.example.com"], timeout: 300, rules: [{ path: "/a" }, { path: "/b" }] },
};

const CASES: { name: string; expected: unknown; mismatches: string[] }[] = [
  { name: "matches a map subset", expected: { metadata: { name: "orders" } }, mismatches: [] },
  {
    name: "reports a different scalar with its path",
    expected: { metadata: { name: "cart" } },
    mismatches: ['metadata.name: expected "cart", got "orders"'],
  },
  { name: "compares scalars in text form", expected: { spec: { timeout: "300" } }, mismatches: [] },
  { name: "treats null as absent", expected: { spec: { gateway: null } }, mismatches: [] },
  {
    name: "reports a present field expected absent",
    expected: { spec: { timeout: null } },
    mismatches: ["spec.timeout: expected absent, got 300"],
  },
  {
    name: "reports a missing field",
    expected: { spec: { service: { name: "x" } } },
    mismatches: ["spec.service: missing, expected a map"],
  },
  {
    name: "requires lists of the same length",
    expected: { spec: { rules: [{ path: "/a" }] } },
    mismatches: ["spec.rules: expected 1 items, got 2"],
  },
  {
    name: "matches lists element-wise in order",
    expected: { spec: { rules: [{ path: "/b" }, { path: "/a" }] } },
    mismatches: [
      'spec.rules[0].path: expected "/b", got "/a"',
      'spec.rules[1].path: expected "/a", got "/b"',
    ],
  },
  {
    name: "reports a map where a scalar is expected",
    expected: { metadata: "x" },
    mismatches: ['metadata: expected "x", got a map'],
  },
];

Deno.test("matchSubset() judges expected values as subsets", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => assert.deepEqual(matchSubset(tc.expected, ACTUAL), tc.mismatches));
  }
});

Deno.test("matchSubset() leaves out paths the skip option names", () => {
  const expected = { metadata: { labels: { "gateway.kyma-project.io/hash": "other" } } };
  const skip = (path: string) => path.endsWith("gateway.kyma-project.io/hash");
  assert.deepEqual(matchSubset(expected, ACTUAL, "", { skip }), []);
});
