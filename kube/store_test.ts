import assert from "node:assert/strict";
import fc from "fast-check";
import type { KubeObject } from "../api/meta.ts";
import { ObjectStore } from "./store.ts";

function object(
  name: string,
  rv: number,
  extra: { uid?: string; namespace?: string } = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace: extra.namespace ?? "ns",
      uid: extra.uid ?? `uid-${name}`,
      resourceVersion: String(rv),
    },
  };
}

Deno.test("ObjectStore.applyEvent() ignores events older than what it holds", () => {
  const store = new ObjectStore();
  assert.equal(store.applyEvent("ADDED", object("a", 5))?.type, "added");
  assert.equal(store.applyEvent("MODIFIED", object("a", 4)), undefined);
  assert.equal(store.applyEvent("MODIFIED", object("a", 5)), undefined, "a repeat is no change");
  assert.equal(store.applyEvent("MODIFIED", object("a", 6))?.type, "modified");
  assert.equal(store.get("ns", "a")?.metadata.resourceVersion, "6");
});

Deno.test("ObjectStore.remember() makes own writes visible without an event", () => {
  const store = new ObjectStore();
  store.remember(object("a", 10));
  assert.equal(store.get("ns", "a")?.metadata.resourceVersion, "10");
  assert.equal(store.applyEvent("ADDED", object("a", 10)), undefined, "the echo of the write");
  assert.equal(store.applyEvent("MODIFIED", object("a", 11))?.type, "modified");
});

Deno.test("ObjectStore.forget() drops an object and ignores late events for it", () => {
  let now = 0;
  const store = new ObjectStore({ now: () => now });
  store.applyEvent("ADDED", object("a", 1));
  store.forget(object("a", 1));
  assert.equal(store.get("ns", "a"), undefined);
  assert.equal(
    store.applyEvent("MODIFIED", object("a", 2)),
    undefined,
    "late update of a deleted object",
  );
  assert.equal(
    store.applyEvent("ADDED", object("a", 3, { uid: "new" }))?.type,
    "added",
    "a new object",
  );
  now += 10 * 60_000;
  store.forget(object("b", 1));
  assert.equal(store.applyEvent("ADDED", object("a", 4))?.type, "modified", "tombstones expire");
});

Deno.test("ObjectStore.replace() reports differences and keeps writes newer than the list", () => {
  const store = new ObjectStore();
  store.applyEvent("ADDED", object("gone", 1));
  store.applyEvent("ADDED", object("same", 2));
  store.applyEvent("ADDED", object("changed", 3));
  store.remember(object("written", 20));
  const events = store.replace([object("same", 2), object("changed", 4), object("new", 5)], "10");
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.object.metadata.name}`).sort(),
    ["added new", "deleted gone", "modified changed"],
  );
  assert.deepEqual(store.list().map((o) => o.metadata.name), ["changed", "new", "same", "written"]);
});

Deno.test("ObjectStore.list() orders by namespace, then name, per namespace too", () => {
  const store = new ObjectStore();
  for (const [ns, name] of [["b", "x"], ["a", "y"], ["a", "b"]] as const) {
    store.applyEvent("ADDED", object(name, 1, { namespace: ns, uid: `${ns}-${name}` }));
  }
  assert.deepEqual(store.list().map((o) => `${o.metadata.namespace}/${o.metadata.name}`), [
    "a/b",
    "a/y",
    "b/x",
  ]);
  assert.deepEqual(store.list("a").map((o) => o.metadata.name), ["b", "y"]);
  assert.deepEqual(store.list("c"), []);
});

Deno.test("ObjectStore.remember() never brings back an object whose deletion it saw", async (t) => {
  await t.step("the delete event came first", () => {
    const store = new ObjectStore();
    store.applyEvent("ADDED", object("a", 1));
    store.applyEvent("DELETED", object("a", 3));
    store.remember(object("a", 3));
    assert.equal(store.get("ns", "a"), undefined);
  });
  await t.step("the write released the last finalizer", () => {
    const store = new ObjectStore();
    store.applyEvent("ADDED", object("a", 1));
    const released = object("a", 2);
    released.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    store.remember(released);
    assert.equal(store.get("ns", "a"), undefined);
    assert.equal(store.applyEvent("MODIFIED", object("a", 2)), undefined);
  });
});

Deno.test("ObjectStore.list() stays sorted and current through adds, changes and deletes", () => {
  const store = new ObjectStore();
  const names = () =>
    store.list().map((o) =>
      `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`
    );
  store.applyEvent("ADDED", object("b", 1));
  store.applyEvent("ADDED", object("a", 2, { namespace: "z" }));
  store.applyEvent("ADDED", object("c", 3));
  assert.deepEqual(names(), ["ns/b@1", "ns/c@3", "z/a@2"]);
  store.applyEvent("MODIFIED", object("b", 4));
  store.remember(object("c", 5));
  assert.deepEqual(names(), ["ns/b@4", "ns/c@5", "z/a@2"], "changed objects keep their place");
  assert.deepEqual(store.list("ns").map((o) => o.metadata.resourceVersion), ["4", "5"]);
  store.remember(object("a", 6));
  store.applyEvent("DELETED", object("c", 7));
  assert.deepEqual(names(), ["ns/a@6", "ns/b@4", "z/a@2"]);
  store.forget(object("b", 4));
  assert.deepEqual(names(), ["ns/a@6", "z/a@2"]);
});

/** Objects in two namespaces under a few names, labelled from a small pool (so keys collide). */
const indexedOp = fc.record({
  op: fc.constantFrom("event", "delete", "remember", "forget", "relist", "clear"),
  name: fc.constantFrom("a", "b", "c", "d", "e"),
  namespace: fc.constantFrom("", "ns1", "ns2"),
  colors: fc.uniqueArray(fc.constantFrom("red", "green", "blue"), { maxLength: 3 }),
  keep: fc.array(fc.boolean(), { minLength: 15, maxLength: 15 }),
});

type Op = typeof indexedOp extends fc.Arbitrary<infer T> ? T : never;

const BY_COLOR = {
  name: "color",
  keys: (o: KubeObject) => (o.metadata.labels?.colors ?? "").split(",").filter((c) => c !== ""),
};

Deno.test("ObjectStore.byIndex() returns what list().filter() returns, through events, writes, relists and clears", () => {
  fc.assert(
    fc.property(fc.array(indexedOp, { maxLength: 40 }), fc.boolean(), (ops, early) => {
      const store = new ObjectStore();
      let rv = 1;
      const colored = (op: Op) => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: op.name,
          namespace: op.namespace,
          uid: `uid-${op.namespace}-${op.name}`,
          resourceVersion: String(++rv),
          labels: { colors: op.colors.join(",") },
        },
      });
      // The index is built on first use: before any object (then kept current) or at the end.
      if (early) store.byIndex(BY_COLOR, "red");
      for (const op of ops) {
        const object = colored(op);
        if (op.op === "event") store.applyEvent("MODIFIED", object);
        else if (op.op === "delete") store.applyEvent("DELETED", object);
        else if (op.op === "remember") store.remember(object);
        else if (op.op === "forget") store.forget(object);
        else if (op.op === "clear") store.clear();
        else store.replace(store.list().filter((_, i) => op.keep[i % 15]), String(++rv));
        for (const color of ["red", "green", "blue", "none"]) {
          const scanned = store.list().filter((o) => BY_COLOR.keys(o).includes(color));
          const indexed = store.byIndex(BY_COLOR, color);
          assert.equal(indexed.length, scanned.length, color);
          indexed.forEach((o, i) => assert.equal(o, scanned[i], `${color} #${i}`));
        }
      }
    }),
    { numRuns: 300 },
  );
});
