import assert from "node:assert/strict";
import { createLogger } from "../lib/log.ts";
import { createSnapshotStore } from "./snapshot_store.ts";
import type { Snapshot } from "./rule_source.ts";

/** A store over names: an object `{name, bad?}` is refused when `bad` is set. */
function store() {
  const lines: string[] = [];
  const s = createSnapshotStore<readonly string[]>({
    empty: [],
    compile(snapshot) {
      const objects = snapshot.objects as { name: string; bad?: boolean }[];
      return {
        value: objects.filter((o) => !o.bad).map((o) => o.name),
        problems: objects.filter((o) => o.bad).map((o) => ({ object: o.name, reason: "bad" })),
      };
    },
    size: (value) => value.length,
    log: createLogger({ write: (line) => lines.push(line) }),
  });
  const messages = () => lines.map((l) => JSON.parse(l).msg as string);
  return { s, messages };
}

const folder = (...objects: unknown[]): Snapshot => ({ ok: true, objects });
const cluster = (...objects: unknown[]): Snapshot => ({ ok: true, independent: true, objects });

Deno.test("a folder reload with a new problem is refused whole; the last good config serves", () => {
  const { s, messages } = store();
  assert.deepEqual(s.load(folder({ name: "a" }, { name: "x", bad: true })), true);
  assert.deepEqual(s.current(), ["a"]);
  assert.deepEqual(
    s.load(folder({ name: "b" }, { name: "x", bad: true }, { name: "y", bad: true })),
    false,
  );
  assert.deepEqual(s.current(), ["a"]);
  assert.deepEqual(messages().slice(-2), [
    "Invalid object",
    "Rejected config; keeping the last good one",
  ]);
  // The problem it already had does not hold a reload back.
  assert.deepEqual(s.load(folder({ name: "b" }, { name: "x", bad: true })), true);
  assert.deepEqual(s.current(), ["b"]);
});

Deno.test("a cluster snapshot skips a refused object and serves every other change", () => {
  const { s, messages } = store();
  assert.deepEqual(s.load(cluster({ name: "a" }, { name: "revoked" })), true);
  // One namespace's bad object arrives together with another's deletion of a rule.
  assert.deepEqual(s.load(cluster({ name: "a" }, { name: "x", bad: true })), true);
  assert.deepEqual(s.current(), ["a"]);
  assert.deepEqual(messages().at(-1), "Not serving object");
  assert.deepEqual(messages().includes("Rejected config; keeping the last good one"), false);
});

Deno.test("an unreadable snapshot keeps the last good config, whatever its source", () => {
  const { s } = store();
  s.load(cluster({ name: "a" }));
  assert.deepEqual(s.load({ ok: false, error: "cannot list" }), false);
  assert.deepEqual(s.current(), ["a"]);
  assert.deepEqual(s.ready(), true);
});
