/**
 * List + watch of one resource into an `ObjectStore`, the way client-go's reflector does it: list
 * (paginated), then watch from the list's resourceVersion with bookmarks; a closed watch resumes
 * from the last version seen, `410 Gone` relists. A resource whose CRD is not installed counts as
 * synced and empty, and is listed again later (or at once on `poke()`).
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 */
import type { KubeObject } from "../api/meta.ts";
import type { Logger } from "../lib/log.ts";
import type { KubeClient } from "./client.ts";
import { KubeError } from "./errors.ts";
import { asKubeObject, isRecord } from "./object.ts";
import { listObjects } from "./objects.ts";
import {
  apiVersionOf,
  collectionPath,
  groupOfApiVersion as groupOf,
  type ResourceType,
} from "./resources.ts";
import { ObjectStore, type StoreEvent } from "./store.ts";

export interface InformerOptions {
  type: ResourceType;
  /** Watch one namespace only. */
  namespace?: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** Keep metadata only (`PartialObjectMetadata`): for existence checks of large objects. */
  metadataOnly?: boolean;
  /**
   * Shrinks each object before it is stored (drop what no reader needs). Every store already
   * holds objects without `metadata.managedFields` (`asKubeObject` keeps only the metadata fields
   * apigw reads) and without kubectl's last-applied annotation (`withoutWriteHistory`, before `transform`).
   */
  transform?: (object: KubeObject) => KubeObject;
  /** Items per list page (default 500). */
  pageSize?: number;
  /** First and longest pause after a failed list or watch (default 250 ms, 5 s). */
  backoff?: { baseMs: number; maxMs: number };
  /** How soon to look again for a resource that does not exist (default 30 s). */
  absentRetryMs?: number;
}

const METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
const METADATA_WATCH = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

export class Informer {
  readonly store = new ObjectStore();
  readonly name: string;
  readonly type: ResourceType;
  readonly #options: InformerOptions;
  readonly #client: KubeClient;
  readonly #log: Logger;
  readonly #handlers: Array<(event: StoreEvent) => void> = [];
  #synced = false;
  #absent = false;
  #syncWaiters: Array<() => void> = [];
  #wake: (() => void) | undefined;

  constructor(client: KubeClient, options: InformerOptions, log: Logger) {
    this.#client = client;
    this.#options = options;
    this.type = options.type;
    const scope = [options.namespace, options.fieldSelector, options.labelSelector]
      .filter((part) => part !== undefined && part !== "").join(",");
    this.name = `${options.type.plural}${options.type.group ? "." + options.type.group : ""}${
      scope ? `[${scope}]` : ""
    }`;
    this.#log = log.child({ informer: this.name });
  }

  /** Subscribes to changes; handlers run synchronously and must only enqueue work. */
  onChange(handler: (event: StoreEvent) => void): void {
    this.#handlers.push(handler);
  }

  /** True once the first list completed (or found the resource absent). */
  get synced(): boolean {
    return this.#synced;
  }

  /** True while the resource does not exist on the apiserver. */
  get absent(): boolean {
    return this.#absent;
  }

  /** Resolves once synced, or when `signal` aborts. */
  waitSynced(signal: AbortSignal): Promise<void> {
    if (this.#synced || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#syncWaiters.push(done);
      signal.addEventListener("abort", done);
    });
  }

  /**
   * Whether `object` falls in this informer's scope (type, namespace and the simple selectors
   * apigw uses: `metadata.name=<name>`, `<label>` and `<label>=<value>`).
   */
  covers(object: KubeObject): boolean {
    if (object.kind !== this.type.kind || groupOf(object.apiVersion) !== this.type.group) {
      return false;
    }
    const { namespace, fieldSelector, labelSelector } = this.#options;
    if (namespace !== undefined && (object.metadata.namespace ?? "") !== namespace) return false;
    if (fieldSelector !== undefined) {
      const name = /^metadata\.name=(.+)$/.exec(fieldSelector)?.[1];
      if (name === undefined || object.metadata.name !== name) return false;
    }
    if (labelSelector !== undefined) {
      const [key, value] = labelSelector.split("=", 2);
      const label = object.metadata.labels?.[key ?? ""];
      if (label === undefined || (value !== undefined && label !== value)) return false;
    }
    return true;
  }

  /** Stores the answer of apigw's own write, when in scope (see `ObjectStore.remember`). */
  remember(object: KubeObject): void {
    if (this.covers(object)) this.store.remember(this.#shape(object));
  }

  /** Records that apigw deleted `object` (see `ObjectStore.forget`). */
  forget(object: KubeObject): void {
    if (this.covers(object)) this.store.forget(object);
  }

  /** Ends a pause between attempts now: e.g. the resource's CRD just appeared. */
  poke(): void {
    this.#wake?.();
  }

  /** Lists and watches until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.#run(signal);
    } finally {
      this.#log.debug("Stopped informer");
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const backoff = this.#options.backoff ?? { baseMs: 250, maxMs: 5_000 };
    let failures = 0;
    const pauseAfterFailure = () => {
      failures++;
      const ms = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (failures - 1));
      return this.#pause(ms * (0.8 + Math.random() * 0.4), signal);
    };
    while (!signal.aborted) {
      const listed = await listObjects(this.#client, this.type, {
        namespace: this.#options.namespace,
        fieldSelector: this.#options.fieldSelector,
        labelSelector: this.#options.labelSelector,
        signal,
        transform: (object) => this.#shape(object),
        ...(this.#options.pageSize === undefined ? {} : { pageSize: this.#options.pageSize }),
        ...(this.#options.metadataOnly ? { accept: `${METADATA_LIST},application/json` } : {}),
      });
      if (signal.aborted) break;
      if (!listed.ok) {
        if (listed.error.reason === "NotFound") {
          this.#dispatch(this.store.clear());
          if (!this.#absent) this.#log.info("Found resource absent");
          this.#absent = true;
          this.#markSynced();
          failures = 0;
          await this.#pause(this.#options.absentRetryMs ?? 30_000, signal);
          continue;
        }
        this.#logFailure("Failed to list resource", listed.error, failures);
        await pauseAfterFailure();
        continue;
      }
      if (this.#absent) this.#log.info("Found resource present");
      this.#absent = false;
      this.#dispatch(this.store.replace(listed.value.items, listed.value.resourceVersion));
      this.#markSynced();
      failures = 0;
      let version = listed.value.resourceVersion;
      // Watch until the history is gone (410) or the resource disappears; then relist.
      while (!signal.aborted) {
        const watched = await this.#watch(version, signal);
        if (watched.version !== undefined) version = watched.version;
        if (watched.outcome === "relist") break;
        this.#log.debug("Watch ended", { outcome: watched.outcome });
        if (watched.outcome === "failed") {
          await pauseAfterFailure();
        } else {
          failures = 0;
        }
      }
    }
  }

  async #watch(
    version: string,
    signal: AbortSignal,
  ): Promise<{ outcome: "ended" | "failed" | "relist"; version?: string }> {
    const query = new URLSearchParams({
      watch: "1",
      resourceVersion: version,
      allowWatchBookmarks: "true",
      // Spread reconnects of many watches out, as client-go does (5–10 min).
      timeoutSeconds: String(300 + Math.floor(Math.random() * 300)),
    });
    if (this.#options.fieldSelector) query.set("fieldSelector", this.#options.fieldSelector);
    if (this.#options.labelSelector) query.set("labelSelector", this.#options.labelSelector);
    const path = `${collectionPath(this.type, { namespace: this.#options.namespace })}?${query}`;
    const stream = await this.#client.stream(path, {
      signal,
      ...(this.#options.metadataOnly ? { accept: `${METADATA_WATCH},application/json` } : {}),
    });
    if (!stream.ok) {
      if (stream.error.reason === "Gone" || stream.error.reason === "NotFound") {
        return { outcome: "relist" };
      }
      if (!signal.aborted) this.#logFailure("Failed to watch resource", stream.error, 0);
      return { outcome: "failed" };
    }
    let latest: string | undefined;
    try {
      for await (const line of stream.value) {
        const type = isRecord(line) ? line.type : undefined;
        const raw = isRecord(line) ? line.object : undefined;
        if (type === "ERROR") {
          const code = isRecord(raw) ? raw.code : undefined;
          // 410: the version fell out of the watch cache's window; anything else: watch again.
          return code === 410
            ? { outcome: "relist" }
            : { outcome: "ended", ...versionField(latest) };
        }
        const object = asKubeObject(raw);
        if (object === undefined) continue;
        latest = object.metadata.resourceVersion ?? latest;
        if (type === "BOOKMARK") continue;
        if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") {
          const event = this.store.applyEvent(type, this.#shape(object));
          if (event !== undefined) this.#dispatch([event]);
        }
      }
    } catch (error) {
      if (signal.aborted) return { outcome: "ended" };
      const failure = error instanceof KubeError
        ? error
        : new KubeError("Unavailable", String(error));
      this.#log.debug("Lost watch", { error: failure.message });
      return { outcome: "failed", ...versionField(latest) };
    }
    return { outcome: "ended", ...versionField(latest) };
  }

  #shape(object: KubeObject): KubeObject {
    let shaped = this.#options.metadataOnly
      ? { ...object, apiVersion: apiVersionOf(this.type), kind: this.type.kind }
      : object;
    shaped = withoutWriteHistory(shaped);
    return this.#options.transform === undefined ? shaped : this.#options.transform(shaped);
  }

  #dispatch(events: readonly StoreEvent[]): void {
    for (const event of events) {
      for (const handler of this.#handlers) {
        try {
          handler(event);
        } catch (error) {
          this.#log.error("Failed to handle informer event", { error });
        }
      }
    }
  }

  #markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    for (const waiter of this.#syncWaiters.splice(0)) waiter();
  }

  #logFailure(msg: string, error: KubeError, failures: number): void {
    // The first failure and then every tenth: an apiserver outage must not flood the log.
    if (failures % 10 !== 0) return;
    this.#log.warn(msg, { reason: error.reason, error: error.message });
  }

  #pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
      this.#wake = done;
    });
  }
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * `object` without its write history: kubectl's last-applied annotation (a second copy of the
 * object as its author last applied it) and `managedFields` (which `asKubeObject` already drops
 * from what the apiserver sends; this covers objects built otherwise). No planner reads either;
 * orphans.ts reads the managers from a fresh GET.
 */
export function withoutWriteHistory(object: KubeObject): KubeObject {
  const metadata: KubeObject["metadata"] & { managedFields?: unknown } = object.metadata;
  const annotations = metadata.annotations;
  const lastApplied = annotations !== undefined && LAST_APPLIED in annotations;
  if (!lastApplied && !("managedFields" in metadata)) return object;
  const { managedFields: _history, ...rest } = metadata;
  if (lastApplied) {
    const { [LAST_APPLIED]: _last, ...kept } = annotations;
    rest.annotations = kept;
  }
  return { ...object, metadata: rest };
}

function versionField(version: string | undefined): { version?: string } {
  return version === undefined ? {} : { version };
}
