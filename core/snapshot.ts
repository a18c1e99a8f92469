/**
 * A read-only view of the cluster objects a reconcile depends on, by API group and kind (the
 * version is ignored: Istio serves the same objects under v1beta1 and v1). `render` fills it from
 * its input files, the operator from its informers; the planners only read it.
 */
import type { KubeObject } from "../api/meta.ts";

export interface Snapshot {
  /** Every object of a group and kind, optionally in one namespace, in a stable order. */
  list(group: string, kind: string, namespace?: string): readonly KubeObject[];
  /**
   * The objects of a group and kind that `index` files under `key`, in `list()` order: what
   * `list(group, kind).filter((o) => index.keys(o).includes(key))` returns, without reading every
   * object (the operator's cache keeps the index current as objects change).
   */
  byIndex(group: string, kind: string, index: SnapshotIndex, key: string): readonly KubeObject[];
  /** One object by group, kind, namespace (`""` for cluster-scoped) and name. */
  get(group: string, kind: string, namespace: string, name: string): KubeObject | undefined;
  /** Tells whether a CRD (`plural.group`) is installed. */
  hasCRD(name: string): boolean;
}

/**
 * A secondary index of objects, in the manner of client-go's `Indexers`: the keys an object is
 * found under. `keys` must be pure and depend on nothing but the object; the name identifies the
 * index, so one name always goes with one `keys`.
 */
export interface SnapshotIndex {
  readonly name: string;
  keys(object: KubeObject): readonly string[];
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
  // Built on first use, once per snapshot: `render` plans every APIRule of its input over one.
  const indexes = new Map<string, Map<string, KubeObject[]>>();
  return {
    list(group, kind, namespace) {
      const all = byKind.get(`${group}/${kind}`) ?? [];
      return namespace === undefined
        ? all
        : all.filter((o) => (o.metadata.namespace ?? "") === namespace);
    },
    byIndex(group, kind, index, key) {
      const id = `${group}/${kind}/${index.name}`;
      let entries = indexes.get(id);
      if (entries === undefined) {
        entries = new Map();
        for (const object of byKind.get(`${group}/${kind}`) ?? []) {
          for (const indexKey of new Set(index.keys(object))) {
            const list = entries.get(indexKey);
            if (list === undefined) entries.set(indexKey, [object]);
            else list.push(object);
          }
        }
        indexes.set(id, entries);
      }
      return entries.get(key) ?? [];
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
  const ka = sortKey(a);
  const kb = sortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

// Metadata that is no string (an object the apiserver would never have decoded) sorts as empty
// rather than throwing in a template string.
function sortKey({ metadata }: KubeObject): string {
  const text = (value: unknown) => typeof value === "string" ? value : "";
  const name = typeof metadata.name === "string" ? metadata.name : text(metadata.generateName);
  return `${text(metadata.namespace)}/${name}`;
}
