import assert from "node:assert/strict";
import fc from "fast-check";
import type { KubeObject } from "../../api/meta.ts";
import { snapshotOf } from "../snapshot.ts";
import { LEGACY_OWNER_LABEL, OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL } from "./labels.ts";
import { ownedObjects } from "./owned.ts";

/** The scan `ownedObjects()` replaced: every object of the kind, filtered by the owner labels. */
function scanned(
  objects: readonly KubeObject[],
  owner: { name: string; namespace: string },
): KubeObject[] {
  const legacy = `${owner.name}.${owner.namespace}`;
  return objects.filter((object) => {
    const labels = object.metadata.labels ?? {};
    if (legacy.length <= 63 && labels[LEGACY_OWNER_LABEL] === legacy) return true;
    return labels[OWNER_NAME_LABEL] === owner.name &&
      labels[OWNER_NAMESPACE_LABEL] === owner.namespace;
  });
}

/** Names with dots (`a.b` + `c` and `a` + `b.c` share a legacy value) and one too long for it. */
const NAMES = ["a", "a.b", "b", "b.c", "x".repeat(60)];
const NAMESPACES = ["c", "b.c", "ns"];
const OWNERS = NAMES.flatMap((name) => NAMESPACES.map((namespace) => ({ name, namespace })));

const label = (values: string[]) => fc.option(fc.constantFrom(...values), { nil: undefined });
const labelled = fc.record({
  name: fc.constantFrom("vs-1", "vs-2", "vs-3", "vs-4"),
  namespace: fc.constantFrom("ns", "other"),
  legacy: label([...OWNERS.map((o) => `${o.name}.${o.namespace}`), "a.b.c.d"]),
  ownerName: label(NAMES),
  ownerNamespace: label(NAMESPACES),
});

function virtualService(o: typeof labelled extends fc.Arbitrary<infer T> ? T : never): KubeObject {
  const labels: Record<string, string> = {};
  if (o.legacy !== undefined) labels[LEGACY_OWNER_LABEL] = o.legacy;
  if (o.ownerName !== undefined) labels[OWNER_NAME_LABEL] = o.ownerName;
  if (o.ownerNamespace !== undefined) labels[OWNER_NAMESPACE_LABEL] = o.ownerNamespace;
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: o.name, namespace: o.namespace, labels },
  };
}

Deno.test("ownedObjects() returns what a scan of every object of the kind returns, in order", () => {
  fc.assert(
    fc.property(fc.array(labelled, { maxLength: 30 }), (generated) => {
      const snapshot = snapshotOf(generated.map(virtualService), new Set());
      const all = snapshot.list("networking.istio.io", "VirtualService");
      for (const owner of OWNERS) {
        const owned = ownedObjects(snapshot, "networking.istio.io", "VirtualService", owner);
        const expected = scanned(all, owner);
        assert.equal(owned.length, expected.length, `${owner.namespace}/${owner.name}`);
        owned.forEach((o, i) => assert.equal(o, expected[i]));
      }
    }),
    { numRuns: 300 },
  );
});
