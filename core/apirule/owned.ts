/**
 * Objects an APIRule owns, found by label across all namespaces (docs/spec/apirule-v2.md §12): objects with
 * the legacy owner label `<name>.<namespace>` (skipped when longer than 63 characters) and
 * objects with both owner labels.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { Snapshot, SnapshotIndex } from "../snapshot.ts";
import { LEGACY_OWNER_LABEL, OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL } from "./labels.ts";

/**
 * Files an object under the `<name>.<namespace>` of each APIRule its owner labels may name: the
 * legacy label's value, and the owner labels joined the legacy way. A superset of the owners (a
 * dot in a name makes `a.b` + `c` and `a` + `b.c` one key), so readers still check the labels.
 */
export const OWNER_INDEX: SnapshotIndex = { name: "apirule-owner", keys: ownerKeys };

function ownerKeys(object: KubeObject): string[] {
  const labels = object.metadata.labels ?? {};
  const keys: string[] = [];
  const legacy = labels[LEGACY_OWNER_LABEL];
  if (legacy !== undefined) keys.push(legacy);
  const name = labels[OWNER_NAME_LABEL];
  const namespace = labels[OWNER_NAMESPACE_LABEL];
  if (name !== undefined && namespace !== undefined && `${name}.${namespace}` !== legacy) {
    keys.push(`${name}.${namespace}`);
  }
  return keys;
}

/**
 * Every object of `group`/`kind` owned by the APIRule `namespace/name`, in snapshot order. Read
 * through `OWNER_INDEX`: a reconcile reads its own objects, not every one of the cluster.
 */
export function ownedObjects(
  snapshot: Snapshot,
  group: string,
  kind: string,
  owner: { name: string; namespace: string },
): KubeObject[] {
  const legacy = `${owner.name}.${owner.namespace}`;
  return snapshot.byIndex(group, kind, OWNER_INDEX, legacy).filter((object) => {
    const labels = object.metadata.labels ?? {};
    if (legacy.length <= 63 && labels[LEGACY_OWNER_LABEL] === legacy) return true;
    return labels[OWNER_NAME_LABEL] === owner.name &&
      labels[OWNER_NAMESPACE_LABEL] === owner.namespace;
  });
}
