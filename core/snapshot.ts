/**
 * A read-only view of the cluster objects a reconcile depends on, by API group and kind (the
 * version is ignored: Istio serves the same objects under v1beta1 and v1). `render` fills it from
 * its input files, the operator from its informers; the planners only read it.
 */
import type { KubeObject } from "../api/meta.ts";

export interface Snapshot {
  /** Every object of a group and kind, optionally in one namespace, in a stable order. */
  list(group: string, kind: string, namespace?: string): readonly KubeObject[];
  /** One object by group, kind, namespace (`""` for cluster-scoped) and name. */
  get(group: string, kind: string, namespace: string, name: string): KubeObject | undefined;
  /** Tells whether a CRD (`plural.group`) is installed. */
  hasCRD(name: string): boolean;
}

/** The API group of an apiVersion (`""` for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? "" : apiVersion.slice(0, slash);
}

/** A snapshot over a fixed list of objects. */
export function snapshotOf(objects: readonly KubeObject[], crds: ReadonlySet<string>): Snapshot {
  const byKind = new Map<string, KubeObject[]>();
  for (const object of objects) {
    const key = `${groupOf(object.apiVersion)}/${object.kind}`;
    const list = byKind.get(key) ?? [];
    list.push(object);
    byKind.set(key, list);
  }
  for (const list of byKind.values()) list.sort(compareObjects);
  return {
    list(group, kind, namespace) {
      const all = byKind.get(`${group}/${kind}`) ?? [];
      return namespace === undefined
        ? all
        : all.filter((o) => (o.metadata.namespace ?? "") === namespace);
    },
    get(group, kind, namespace, name) {
      return (byKind.get(`${group}/${kind}`) ?? []).find((o) =>
        (o.metadata.namespace ?? "") === namespace && o.metadata.name === name
      );
    },
    hasCRD: (name) => crds.has(name),
  };
}

function compareObjects(a: KubeObject, b: KubeObject): number {
  const ka = `${a.metadata.namespace ?? ""}/${a.metadata.name ?? a.metadata.generateName ?? ""}`;
  const kb = `${b.metadata.namespace ?? ""}/${b.metadata.name ?? b.metadata.generateName ?? ""}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
