/** Small readers of informer events shared by the controllers' trigger mappings. */
import type { KubeObject } from "../api/meta.ts";
import type { StoreEvent } from "../kube/store.ts";
import { isRecord } from "../kube/object.ts";
import { jsonEqual } from "./_equal.ts";

/** The objects of an event: the new one and, for a change, the old one. */
export function versions(event: StoreEvent): KubeObject[] {
  return event.old === undefined || event.old === event.object
    ? [event.object]
    : [event.object, event.old];
}

/** Whether a field (by path) differs between the old and new object of a change. */
export function changed(event: StoreEvent, ...path: string[]): boolean {
  if (event.type !== "modified" || event.old === undefined) return true;
  return !jsonEqual(at(event.object, path), at(event.old, path));
}

/** The value at `path` in an object, or undefined. */
export function at(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** The `namespace/name` key of a CR. */
export function crKey(object: KubeObject): string {
  const namespace = object.metadata.namespace ?? "";
  const name = object.metadata.name ?? "";
  return namespace === "" ? name : `${namespace}/${name}`;
}

/** Whether `labels` contain every pair of `selector` (an empty selector matches nothing). */
export function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const pairs = Object.entries(selector);
  return pairs.length > 0 && pairs.every(([k, v]) => labels?.[k] === v);
}
