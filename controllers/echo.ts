/**
 * Telling a controller's own writes from other changes. A watch event for an object a reconcile
 * just wrote often arrives before the write's answer, so write-through alone cannot hide it, and
 * requeueing on it would run every reconcile twice. While a key is reconciled, events for what it
 * owns are held; when it ends, an event counts only if it is newer than the reconcile's own write
 * of that object (same UID, higher resourceVersion) or the object was not written at all.
 * Afterwards the last writes are remembered for a while, for echoes that arrive later still.
 */
import type { KubeObject } from "../api/meta.ts";
import { groupOf } from "../core/snapshot.ts";
import { numericVersion } from "../kube/object.ts";
import type { WorkQueue } from "../kube/queue.ts";

/** How long an own write is remembered to recognise its echo. */
const REMEMBER_MS = 60_000;

interface Written {
  uid: string | undefined;
  version: number | undefined;
  deleted: boolean;
  at: number;
}

/** The writes of one reconcile. */
export class WriteLog {
  readonly entries = new Map<string, Written>();

  /** Records an own write (its answer) or delete. */
  record(object: KubeObject, options: { deleted?: boolean } = {}): void {
    this.entries.set(identity(object), {
      uid: object.metadata.uid,
      version: numericVersion(object),
      deleted: options.deleted ?? false,
      at: Date.now(),
    });
  }
}

export class EchoFilter {
  readonly #queue: WorkQueue;
  readonly #held = new Map<string, KubeObject[]>();
  readonly #written = new Map<string, Written>();

  constructor(queue: WorkQueue) {
    this.#queue = queue;
  }

  /** A reconcile of `key` starts: hold its events until `end()`. */
  begin(key: string): void {
    this.#held.set(key, []);
  }

  /** The reconcile of `key` ended with `writes`: requeue it for any change that was not its own. */
  end(key: string, writes: WriteLog): void {
    const held = this.#held.get(key) ?? [];
    this.#held.delete(key);
    const now = Date.now();
    for (const [id, entry] of writes.entries) this.#written.set(id, entry);
    if (this.#written.size > 10_000) {
      for (const [id, entry] of this.#written) {
        if (now - entry.at > REMEMBER_MS) this.#written.delete(id);
      }
    }
    if (held.some((object) => !this.#isEcho(object))) this.#queue.add(key);
  }

  /** An event of `object`, which `key` owns or is: requeue `key` unless it is an own write. */
  observe(key: string, object: KubeObject): void {
    const held = this.#held.get(key);
    if (held !== undefined) held.push(object);
    else if (!this.#isEcho(object)) this.#queue.add(key);
  }

  #isEcho(object: KubeObject): boolean {
    const entry = this.#written.get(identity(object));
    if (entry === undefined || entry.uid !== object.metadata.uid) return false;
    if (Date.now() - entry.at > REMEMBER_MS) return false;
    if (entry.deleted) return true;
    const version = numericVersion(object);
    return entry.version !== undefined && version !== undefined && version <= entry.version;
  }
}

function identity(object: KubeObject): string {
  return `${groupOf(object.apiVersion)}/${object.kind}/${object.metadata.namespace ?? ""}/${
    object.metadata.name ?? ""
  }`;
}
