/** Test helpers: snapshots and objects for the APIGateway planner's tests. */
import type { KubeObject } from "../../api/meta.ts";
import { OFFLINE_CRDS } from "../installed_crds.ts";
import { groupOf, type Snapshot, snapshotOf } from "../snapshot.ts";

export const NOW = new Date("2026-01-01T00:00:00Z");

/** A snapshot over `objects` with the CRDs `render` imagines, minus `without`, plus `extra`. */
export function snapshot(
  objects: readonly KubeObject[],
  crds: { without?: readonly string[]; extra?: readonly string[] } = {},
): Snapshot {
  const names = new Set([...OFFLINE_CRDS, ...(crds.extra ?? [])]);
  for (const name of crds.without ?? []) names.delete(name);
  return snapshotOf(objects, names);
}

/** An APIGateway CR. */
export function apiGateway(
  name: string,
  options: { spec?: Record<string, unknown>; metadata?: KubeObject["metadata"] } = {},
): KubeObject {
  return {
    apiVersion: "operator.kyma-project.io/v1alpha1",
    kind: "APIGateway",
    metadata: { name, ...options.metadata },
    spec: options.spec ?? {},
  };
}

/** Any namespaced object. */
export function object(
  apiVersion: string,
  kind: string,
  key: string,
  fields: Record<string, unknown> = {},
): KubeObject {
  const [namespace = "", name = ""] = key.includes("/") ? key.split("/") : ["", key];
  return {
    apiVersion,
    kind,
    metadata: namespace === "" ? { name } : { name, namespace },
    ...fields,
  };
}

/** `group/Kind namespace/name` of each object, for comparing lists of objects. */
export function keys(objects: readonly KubeObject[]): string[] {
  return objects.map((o) =>
    `${groupOf(o.apiVersion) || "core"}/${o.kind} ${
      o.metadata.namespace ? `${o.metadata.namespace}/` : ""
    }${o.metadata.name ?? ""}`
  );
}

/** The one object of a kind and name in a list. */
export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`No ${kind} "${name}" in ${keys(objects).join(", ")}`);
  return found;
}
