/**
 * Objects left behind by a CR that is gone without its cleanup (its finalizer was removed by
 * hand): deleted, but only those apigw itself wrote — a fresh read must show `apigw` among the
 * object's field managers — so that an object someone else labelled like ours is never touched.
 */
import type { KubeObject } from "../api/meta.ts";
import { isRecord } from "../kube/object.ts";
import { deleteObject, FIELD_MANAGER, refOf } from "../kube/objects.ts";
import { objectPath } from "../kube/resources.ts";
import type { ExecuteDeps } from "./execute_plan.ts";

/** Deletes the objects of `objects` apigw wrote; returns the errors of those it could not. */
export async function deleteOrphans(
  objects: readonly KubeObject[],
  deps: ExecuteDeps,
): Promise<Error[]> {
  const errors: Error[] = [];
  for (const object of objects) {
    const ref = refOf(object);
    const fresh = await deps.client.request("GET", objectPath(ref.type, ref), {
      signal: deps.signal,
    });
    if (!fresh.ok) {
      if (fresh.error.reason !== "NotFound") errors.push(fresh.error);
      continue;
    }
    const metadata = isRecord(fresh.value) && isRecord(fresh.value.metadata)
      ? fresh.value.metadata
      : {};
    const managers = Array.isArray(metadata.managedFields) ? metadata.managedFields : [];
    if (!managers.some((m) => isRecord(m) && m.manager === FIELD_MANAGER)) continue;
    const uid = typeof metadata.uid === "string" ? metadata.uid : undefined;
    const resourceVersion = typeof metadata.resourceVersion === "string"
      ? metadata.resourceVersion
      : undefined;
    const deleted = await deleteObject(deps.client, ref, {
      signal: deps.signal,
      preconditions: {
        ...(uid === undefined ? {} : { uid }),
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
      },
    });
    if (!deleted.ok) {
      if (deleted.error.reason !== "NotFound") errors.push(deleted.error);
      continue;
    }
    deps.cache.forget(object);
    deps.writes.record(object, { deleted: true });
    deps.log.info(`Deleted orphaned ${object.kind}`, { object: `${ref.namespace}/${ref.name}` });
  }
  return errors;
}
