import assert from "node:assert/strict";
import { objectMetaProblem, pruneNulls, pruneNullsWith } from "./normalize.ts";
import type { OpenAPISchema } from "./schema/openapi.ts";

const V2 = { apiVersion: "gateway.kyma-project.io/v2", kind: "APIRule" };

const SCHEMA: OpenAPISchema = {
  type: "object",
  properties: {
    plain: { type: "string" },
    nullable: { type: "string", nullable: true },
    defaulted: { type: "boolean", default: true },
    list: { type: "array", items: { type: "object", properties: { a: { type: "string" } } } },
    defaultedItems: { type: "array", items: { type: "integer", default: 7 } },
    map: { type: "object", additionalProperties: { type: "string" } },
    free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
  },
};

const CASES: { name: string; input: unknown; expected: unknown }[] = [
  { name: "removes a non-nullable null", input: { plain: null }, expected: {} },
  { name: "keeps a nullable null", input: { nullable: null }, expected: { nullable: null } },
  {
    name: "defaults a null with a default",
    input: { defaulted: null },
    expected: { defaulted: true },
  },
  {
    name: "keeps null list items (lists keep their length)",
    input: { list: [null, { a: null }] },
    expected: { list: [null, {}] },
  },
  {
    name: "defaults null list items whose schema has a default",
    input: { defaultedItems: [1, null] },
    expected: { defaultedItems: [1, 7] },
  },
  {
    name: "removes null map values",
    input: { map: { x: null, y: "1" } },
    expected: { map: { y: "1" } },
  },
  {
    name: "leaves objects the schema does not describe alone",
    input: { free: { x: null }, unknown: { y: null } },
    expected: { free: { x: null }, unknown: { y: null } },
  },
  {
    name: "keeps a __proto__ key a field",
    input: { map: { ["__proto__"]: "v" } },
    expected: { map: JSON.parse('{"__proto__":"v"}') },
  },
];

Deno.test("pruneNullsWith() handles nulls as the apiserver does", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => assert.deepEqual(pruneNullsWith(SCHEMA, tc.input), tc.expected));
  }
});

Deno.test("pruneNulls() removes the nulls of issue 19 and leaves its input alone", () => {
  const input = {
    ...V2,
    metadata: { name: "a", namespace: null, labels: { x: null } },
    spec: {
      service: null,
      corsPolicy: null,
      hosts: ["a.b.io"],
      rules: [{ path: "/*", service: { name: "s", port: null } }],
    },
  };
  const before = structuredClone(input);
  assert.deepEqual(pruneNulls(input), {
    ...V2,
    metadata: { name: "a", labels: { x: "" } },
    spec: { hosts: ["a.b.io"], rules: [{ path: "/*", service: { name: "s" } }] },
  });
  assert.deepEqual(input, before);
});

Deno.test("pruneNulls() defaults RateLimit spec.enforce and leaves other kinds unchanged", () => {
  const rateLimit = {
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: null,
    spec: { enforce: null },
  };
  assert.deepEqual(pruneNulls(rateLimit), {
    apiVersion: rateLimit.apiVersion,
    kind: "RateLimit",
    spec: { enforce: true },
  });
  const service = { apiVersion: "v1", kind: "Service", spec: { selector: null } };
  assert.equal(pruneNulls(service), service);
  assert.deepEqual(
    pruneNulls({ ...service, metadata: { name: "s", labels: null, annotations: { a: null } } }),
    { ...service, metadata: { name: "s", annotations: { a: "" } } },
  );
  assert.equal(pruneNulls(null), null);
  assert.equal(pruneNulls("text"), "text");
});

Deno.test("objectMetaProblem() names the metadata field the apiserver could not decode", async (t) => {
  const cases: [string, unknown, string | undefined][] = [
    ["a valid metadata", { name: "a", labels: { x: "y" }, finalizers: ["f"] }, undefined],
    ["no metadata", undefined, undefined],
    ["a namespace object", { namespace: { toString: [] } }, "metadata.namespace"],
    ["a number label", { labels: { x: 1 } }, "metadata.labels.x"],
    ["a list as metadata", [], "metadata"],
    ["a fractional generation", { generation: 1.5 }, "metadata.generation"],
    ["a bad finalizer", { finalizers: ["a", 2] }, "metadata.finalizers[1]"],
    ["a bad owner", { ownerReferences: [{ name: 3 }] }, "metadata.ownerReferences[0].name"],
  ];
  for (const [name, metadata, path] of cases) {
    await t.step(name, () => {
      const object = metadata === undefined ? { kind: "X" } : { kind: "X", metadata };
      assert.equal(objectMetaProblem(object)?.path, path);
    });
  }
});

Deno.test("pruneNulls() replaces lone surrogates by U+FFFD as the apiserver's JSON decoder does", () => {
  const input = {
    ...V2,
    metadata: { name: "a", namespace: "n", labels: { ["k\udfff"]: "v\ud800" } },
    spec: { hosts: ["\udfff\udfffa.b.io", "ok-\u{1F600}.io"], service: { name: "s", port: 80 } },
  };
  const before = structuredClone(input);
  assert.deepEqual(pruneNulls(input), {
    ...V2,
    metadata: { name: "a", namespace: "n", labels: { ["k\ufffd"]: "v\ufffd" } },
    spec: { hosts: ["\ufffd\ufffda.b.io", "ok-\u{1F600}.io"], service: { name: "s", port: 80 } },
  });
  assert.deepEqual(input, before);
  // Other kinds alike; an object without one comes back as it was.
  const service = { apiVersion: "v1", kind: "Service", spec: { selector: { app: "x\udc00" } } };
  assert.deepEqual(pruneNulls(service).spec.selector, { app: "x\ufffd" });
  const clean = { apiVersion: "v1", kind: "Service", spec: { selector: { app: "x" } } };
  assert.equal(pruneNulls(clean), clean);
});
