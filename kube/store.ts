/**
 * The cache of one informer: objects by `namespace/name`, listed in a stable order. Besides watch
 * events it takes the answers of apigw's own writes ("write-through"), so a reconcile right after
 * a create sees what it created instead of creating it twice. Versions only move forward: an event
 * older than what the store holds, or for an object apigw deleted, changes nothing.
 */
import type { KubeObject } from "../api/meta.ts";
import { keyOf, numericVersion, objectKey } from "./object.ts";

/** One change of the store, as handlers see it. */
export interface StoreEvent {
  type: "added" | "modified" | "deleted";
  object: KubeObject;
  /** The object the store held before (modified, deleted). */
  old?: KubeObject;
}

/**
 * A secondary index, as client-go's `Indexers`: the keys an object is filed under. `keys` must be
 * pure; one `name`, one `keys`.
 */
export interface StoreIndex {
  readonly name: string;
  keys(object: KubeObject): readonly string[];
}

/** An index's entries: per index key, the store keys (`namespace/name`) of its objects. */
interface IndexEntries {
  keys: (object: KubeObject) => readonly string[];
  entries: Map<string, Set<string>>;
}

/** How long a deleted object's UID keeps late events for it out. */
const TOMBSTONE_MS = 5 * 60_000;

export class ObjectStore {
  #objects = new Map<string, KubeObject>();
  #tombstones = new Map<string, number>();
  /** Built on the first `byIndex()` of each, then kept current with every change. */
  readonly #indexes = new Map<string, IndexEntries>();
  #version = 0;
  /** Moves only when a key is added or removed: a change of objects alone keeps their order. */
  #keysVersion = 0;
  #sortedKeys: { version: number; keys: string[] } | undefined;
  #sorted:
    | { version: number; all: KubeObject[]; byNamespace: Map<string, KubeObject[]> }
    | undefined;
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Number of objects held. */
  get size(): number {
    return this.#objects.size;
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.#objects.get(keyOf(namespace, name));
  }

  /** Every object (optionally of one namespace), ordered by namespace, then name. */
  list(namespace?: string): readonly KubeObject[] {
    const sorted = this.#sortedView();
    return namespace === undefined ? sorted.all : sorted.byNamespace.get(namespace) ?? [];
  }

  /**
   * The objects `index` files under `key`, ordered as `list()`: the same objects as
   * `list().filter((o) => index.keys(o).includes(key))` in time proportional to their number.
   */
  byIndex(index: StoreIndex, key: string): KubeObject[] {
    let built = this.#indexes.get(index.name);
    if (built === undefined) {
      built = { keys: index.keys, entries: new Map() };
      for (const [storeKey, object] of this.#objects) fileUnder(built, storeKey, object);
      this.#indexes.set(index.name, built);
    }
    const filed = built.entries.get(key);
    if (filed === undefined) return [];
    // Sorted as `#sortedView()` sorts all keys, so the subset keeps the list's order.
    return [...filed].sort().map((storeKey) => this.#objects.get(storeKey)!);
  }

  /** Applies a watch event; returns what changed, or undefined for a stale or repeated event. */
  applyEvent(type: "ADDED" | "MODIFIED" | "DELETED", object: KubeObject): StoreEvent | undefined {
    const key = objectKey(object);
    const held = this.#objects.get(key);
    if (type === "DELETED") {
      // A write answered after this event must not bring the object back.
      this.#tombstone(object);
      if (
        held === undefined || (held.metadata.uid !== object.metadata.uid && isNewer(held, object))
      ) {
        return undefined;
      }
      this.#delete(key, held);
      this.#changed(true);
      return { type: "deleted", object, old: held };
    }
    if (this.#isTombstoned(object)) return undefined;
    if (held !== undefined && !isNewer(object, held)) return undefined;
    this.#set(key, object, held);
    this.#changed(held === undefined);
    return held === undefined ? { type: "added", object } : { type: "modified", object, old: held };
  }

  /**
   * Replaces the content with a fresh list taken at `listVersion`; returns the differences.
   * Objects apigw wrote after the list was taken are kept.
   */
  replace(objects: readonly KubeObject[], listVersion: string): StoreEvent[] {
    const events: StoreEvent[] = [];
    const listed = /^\d+$/.test(listVersion) ? Number(listVersion) : undefined;
    const next = new Map<string, KubeObject>();
    for (const object of objects) {
      if (this.#isTombstoned(object)) continue;
      const key = objectKey(object);
      const held = this.#objects.get(key);
      if (
        held !== undefined && !isNewer(object, held) && held.metadata.uid === object.metadata.uid
      ) {
        next.set(key, held);
        continue;
      }
      next.set(key, object);
      events.push(
        held === undefined ? { type: "added", object } : { type: "modified", object, old: held },
      );
    }
    for (const [key, held] of this.#objects) {
      if (next.has(key)) continue;
      const version = numericVersion(held);
      if (listed !== undefined && version !== undefined && version > listed) {
        next.set(key, held); // Written by apigw after the list was taken.
      } else {
        events.push({ type: "deleted", object: held, old: held });
      }
    }
    this.#objects = next;
    for (const index of this.#indexes.values()) {
      index.entries.clear();
      for (const [key, object] of next) fileUnder(index, key, object);
    }
    this.#changed(true);
    return events;
  }

  /**
   * Records the answer of apigw's own write; no handler runs for it. An answer that shows the
   * object on its way out with no finalizer left (the write released it) means it is gone.
   */
  remember(object: KubeObject): void {
    if (
      object.metadata.deletionTimestamp !== undefined &&
      (object.metadata.finalizers ?? []).length === 0
    ) {
      return this.forget(object);
    }
    if (this.#isTombstoned(object)) return;
    const key = objectKey(object);
    const held = this.#objects.get(key);
    if (held !== undefined && !isNewer(object, held) && held.metadata.uid === object.metadata.uid) {
      return;
    }
    this.#set(key, object, held);
    this.#changed(held === undefined);
  }

  /** Records that apigw deleted `object`: it is gone, and late events for it are ignored. */
  forget(object: KubeObject): void {
    const key = objectKey(object);
    const held = this.#objects.get(key);
    if (held !== undefined && held.metadata.uid === object.metadata.uid) {
      this.#delete(key, held);
      this.#changed(true);
    }
    this.#tombstone(object);
  }

  #set(key: string, object: KubeObject, held: KubeObject | undefined): void {
    this.#objects.set(key, object);
    for (const index of this.#indexes.values()) {
      if (held !== undefined) unfile(index, key, held);
      fileUnder(index, key, object);
    }
  }

  #delete(key: string, held: KubeObject): void {
    this.#objects.delete(key);
    for (const index of this.#indexes.values()) unfile(index, key, held);
  }

  #tombstone(object: KubeObject): void {
    if (object.metadata.uid === undefined) return;
    this.#pruneTombstones();
    this.#tombstones.set(object.metadata.uid, this.#now() + TOMBSTONE_MS);
  }

  /** Drops everything (the resource no longer exists); returns the deletions. */
  clear(): StoreEvent[] {
    const events = [...this.#objects.values()].map((object): StoreEvent => ({
      type: "deleted",
      object,
      old: object,
    }));
    this.#objects.clear();
    for (const index of this.#indexes.values()) index.entries.clear();
    this.#changed(true);
    return events;
  }

  #isTombstoned(object: KubeObject): boolean {
    const uid = object.metadata.uid;
    if (uid === undefined) return false;
    const until = this.#tombstones.get(uid);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#tombstones.delete(uid);
    return false;
  }

  #pruneTombstones(): void {
    if (this.#tombstones.size < 1024) return;
    const now = this.#now();
    for (const [uid, until] of this.#tombstones) if (until <= now) this.#tombstones.delete(uid);
  }

  #changed(keys: boolean): void {
    this.#version++;
    if (keys) this.#keysVersion++;
  }

  /**
   * The sorted view, rebuilt after a change. The keys are `namespace/name` strings, sorted as
   * such (no key built per comparison) and only when a key came or went: while a reconcile
   * storm rewrites objects of a store of 10 000, each rebuild is one pass, not a sort.
   */
  #sortedView() {
    if (this.#sorted?.version === this.#version) return this.#sorted;
    if (this.#sortedKeys?.version !== this.#keysVersion) {
      this.#sortedKeys = { version: this.#keysVersion, keys: [...this.#objects.keys()].sort() };
    }
    const all = this.#sortedKeys.keys.map((key) => this.#objects.get(key)!);
    const byNamespace = new Map<string, KubeObject[]>();
    for (const object of all) {
      const namespace = object.metadata.namespace ?? "";
      const list = byNamespace.get(namespace);
      if (list === undefined) byNamespace.set(namespace, [object]);
      else list.push(object);
    }
    this.#sorted = { version: this.#version, all, byNamespace };
    return this.#sorted;
  }
}

function fileUnder(index: IndexEntries, storeKey: string, object: KubeObject): void {
  for (const key of index.keys(object)) {
    const filed = index.entries.get(key);
    if (filed === undefined) index.entries.set(key, new Set([storeKey]));
    else filed.add(storeKey);
  }
}

function unfile(index: IndexEntries, storeKey: string, object: KubeObject): void {
  for (const key of index.keys(object)) {
    const filed = index.entries.get(key);
    filed?.delete(storeKey);
    if (filed?.size === 0) index.entries.delete(key);
  }
}

/**
 * Whether `a` is a later version than `b`. Versions compare as numbers where both are numeric;
 * otherwise any different version counts as newer (the API calls them opaque).
 */
function isNewer(a: KubeObject, b: KubeObject): boolean {
  const va = numericVersion(a);
  const vb = numericVersion(b);
  if (va !== undefined && vb !== undefined) return va > vb;
  return a.metadata.resourceVersion !== b.metadata.resourceVersion;
}
