/**
 * Objects an APIRule owns, found by label across all namespaces (docs/spec/apirule-v2.md §12): objects with
 * the legacy owner label `<name>.<namespace>` (skipped when longer than 63 characters) and
 * objects with both owner labels.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { Snapshot } from "../snapshot.ts";
import { LEGACY_OWNER_LABEL, OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL } from "./labels.ts";

/** Every object of `group`/`kind` owned by the APIRule `namespace/name`, in snapshot order. */
export function ownedObjects(
  snapshot: Snapshot,
  group: string,
  kind: string,
  owner: { name: string; namespace: string },
): KubeObject[] {
  const legacy = `${owner.name}.${owner.namespace}`;
  return snapshot.list(group, kind).filter((object) => {
    const labels = object.metadata.labels ?? {};
    if (legacy.length <= 63 && labels[LEGACY_OWNER_LABEL] === legacy) return true;
    return labels[OWNER_NAME_LABEL] === owner.name &&
      labels[OWNER_NAMESPACE_LABEL] === owner.namespace;
  });
}
