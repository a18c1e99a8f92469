/**
 * Carries out a plan against the apiserver, in the order that keeps deletion safe:
 * 1. add the CR's new finalizers (before anything it will own exists),
 * 2. apply the desired objects, one kind after the other (server-side apply; addressed by UID
 *    when the object exists; skipped when the cache shows nothing would change), stopping after
 *    the first kind that fails,
 * 3. delete what the plan drops — only objects the ownership rule says are ours, each guarded by
 *    UID and resourceVersion preconditions,
 * 4. remove the finalizers the plan lets go (only when everything above succeeded),
 * 5. write the status once, when it changed, and record an Event when the state changed.
 * Every answer is fed back into the cache (write-through), so the next reconcile sees it.
 */
import type { KubeObject } from "../api/meta.ts";
import type { Plan } from "../core/plan.ts";
import { groupOf } from "../core/snapshot.ts";
import type { Logger } from "../lib/log.ts";
import type { KubeClient } from "../kube/client.ts";
import type { KubeError } from "../kube/errors.ts";
import type { EventRecorder } from "../kube/events.ts";
import { isRecord } from "../kube/object.ts";
import { applyObject, deleteObject, FIELD_MANAGER, patchObject, refOf } from "../kube/objects.ts";
import { objectPath, versionOfApiVersion } from "../kube/resources.ts";
import { jsonEqual } from "./_equal.ts";
import type { ClusterCache } from "./cache.ts";
import type { WriteLog } from "./echo.ts";

export interface ExecuteDeps {
  client: KubeClient;
  cache: ClusterCache;
  events: EventRecorder;
  log: Logger;
  signal: AbortSignal;
  writes: WriteLog;
}

/** One object that could not be written. */
export interface Failure {
  object: KubeObject;
  action: "apply" | "delete";
  error: KubeError;
}

export interface ExecuteHooks {
  /** Whether an object the plan deletes is the CR's by the kind's ownership rule. */
  owns(object: KubeObject): boolean;
  /** The status to write when objects could not be applied or deleted. */
  failureStatus(failures: readonly Failure[]): unknown;
  /**
   * Completes objects before they are applied (generated Secret data); an object that cannot be
   * completed is left out and fails the pass.
   */
  prepare?(objects: readonly KubeObject[]): Promise<{
    objects: KubeObject[];
    failures: Array<{ object: KubeObject; error: KubeError }>;
  }>;
}

export type Execution =
  /** Everything in the plan was carried out. */
  | { kind: "applied"; status: unknown }
  /** Objects failed; the failure status was written (when the CR still exists). */
  | { kind: "failed"; failures: Failure[] }
  /** The CR itself could not be updated (finalizers or status). */
  | { kind: "crFailed"; error: KubeError };

/** Carries out `plan` for the CR `cr` (as the cache holds it). */
export async function executePlan(
  cr: KubeObject,
  plan: Plan,
  hooks: ExecuteHooks,
  deps: ExecuteDeps,
): Promise<Execution> {
  const current = cr.metadata.finalizers ?? [];
  const desired = plan.cr?.metadata.finalizers ?? [];
  let live = cr;
  const added = desired.filter((f) => !current.includes(f));
  if (added.length > 0) {
    const patched = await writeFinalizers(live, [...current, ...added], deps);
    if (!patched.ok) return { kind: "crFailed", error: patched.error };
    live = patched.value;
  }
  const prepared = hooks.prepare === undefined
    ? { objects: plan.apply, failures: [] }
    : await hooks.prepare(plan.apply);
  const failures: Failure[] = prepared.failures.map((f) => ({ ...f, action: "apply" }));
  if (failures.length === 0) failures.push(...await applyAll(prepared.objects, deps));
  if (failures.length === 0) failures.push(...await deleteAll(plan.delete, hooks, deps));
  if (failures.length === 0) {
    const kept = (live.metadata.finalizers ?? []).filter((f) =>
      desired.includes(f) || !current.includes(f)
    );
    if (kept.length !== (live.metadata.finalizers ?? []).length) {
      const patched = await writeFinalizers(live, kept, deps);
      if (!patched.ok) {
        return patched.error.reason === "NotFound"
          ? { kind: "applied", status: undefined }
          : { kind: "crFailed", error: patched.error };
      }
      live = patched.value;
    }
  }
  if (plan.cr === undefined) {
    return failures.length > 0
      ? { kind: "failed", failures }
      : { kind: "applied", status: undefined };
  }
  const status = failures.length > 0 ? hooks.failureStatus(failures) : plan.cr.status;
  if (!jsonEqual(status, live.status)) {
    const written = await writeStatus(live, status, deps);
    if (!written.ok) return { kind: "crFailed", error: written.error };
    recordTransition(live, status, deps);
  }
  return failures.length > 0 ? { kind: "failed", failures } : { kind: "applied", status };
}

/** Applies objects kind by kind (in order of first appearance), each kind's objects at once. */
async function applyAll(objects: readonly KubeObject[], deps: ExecuteDeps): Promise<Failure[]> {
  const kinds: string[] = [];
  for (const object of objects) {
    const kind = `${groupOf(object.apiVersion)}/${object.kind}`;
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  for (const kind of kinds) {
    const group = objects.filter((o) => `${groupOf(o.apiVersion)}/${o.kind}` === kind);
    const results = await Promise.all(group.map((object) => applyOne(object, deps)));
    const failures = results.flatMap((error, i): Failure[] =>
      error === undefined ? [] : [{ object: group[i]!, action: "apply", error }]
    );
    if (failures.length > 0) return failures;
  }
  return [];
}

async function applyOne(object: KubeObject, deps: ExecuteDeps): Promise<KubeError | undefined> {
  const { client, cache, signal } = deps;
  const group = groupOf(object.apiVersion);
  const namespace = object.metadata.namespace ?? "";
  const creating = object.metadata.name === undefined || object.metadata.name === "";
  let body = object;
  if (creating) {
    body = { ...object, metadata: { ...object.metadata, name: freeName(object, cache) } };
  } else {
    const existing = cache.get(group, object.kind, namespace, object.metadata.name ?? "");
    if (existing !== undefined && isUpToDate(object, existing)) return undefined;
    // Addressed by UID, the apply updates exactly the object the plan saw and never re-creates
    // one that was deleted meanwhile; the generateName it was created with stays.
    if (existing !== undefined) {
      body = {
        ...object,
        metadata: {
          ...object.metadata,
          ...(existing.metadata.uid === undefined ? {} : { uid: existing.metadata.uid }),
          ...(existing.metadata.generateName === undefined
            ? {}
            : { generateName: existing.metadata.generateName }),
        },
      };
    }
  }
  const applied = await applyObject(client, body, { signal });
  if (!applied.ok) return applied.error;
  remember(deps, applied.value);
  const label = `${namespace}/${body.metadata.name ?? ""}`;
  if (creating) deps.log.info(`Created ${object.kind}`, { object: label });
  else deps.log.debug(`Applied ${object.kind}`, { object: label });
  return undefined;
}

/** Random suffix characters of generated names: the apiserver's (no vowels, no look-alikes). */
const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
/** The apiserver cuts `generateName` to 58 characters before it adds five random ones. */
const MAX_PREFIX = 58;

/**
 * A name for an object that has only `generateName`, made the way the apiserver makes it and not
 * taken in the cache. apigw names it itself so that the first write is already a server-side apply
 * (the object keeps its `generateName`): a create would record apigw's fields under an "Update"
 * entry that later applies never release, so a field dropped from the desired object would stay.
 */
function freeName(object: KubeObject, cache: ClusterCache): string {
  const prefix = (object.metadata.generateName ?? "").slice(0, MAX_PREFIX);
  while (true) {
    const random = crypto.getRandomValues(new Uint8Array(5));
    const name = prefix +
      Array.from(random, (b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join("");
    const group = groupOf(object.apiVersion);
    if (cache.get(group, object.kind, object.metadata.namespace ?? "", name) === undefined) {
      return name;
    }
  }
}

/**
 * Whether applying `desired` would change nothing: every field but metadata and status equal to
 * the cached object's, and its labels and annotations present there. Saves the apiserver a
 * no-op apply on every re-check; a field the desired object drops still makes a difference.
 */
function isUpToDate(desired: KubeObject, cached: KubeObject): boolean {
  const { metadata, status: _status, apiVersion: _v, ...fields } = desired;
  const { metadata: cachedMeta, status: _cachedStatus, apiVersion: _cv, ...cachedFields } = cached;
  const within = (
    want: Record<string, string> | undefined,
    have: Record<string, string> | undefined,
  ) => Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);
  const owners = (cachedMeta.ownerReferences ?? []).map((r) => r.uid);
  return within(metadata.labels, cachedMeta.labels) &&
    within(metadata.annotations, cachedMeta.annotations) &&
    (metadata.ownerReferences ?? []).every((r) => owners.includes(r.uid)) &&
    jsonEqual(fields, cachedFields);
}

/** Deletes objects that `owns` accepts (see step 3); returns what could not be deleted. */
export function deleteOwned(
  objects: readonly KubeObject[],
  hooks: Pick<ExecuteHooks, "owns">,
  deps: ExecuteDeps,
): Promise<Failure[]> {
  return deleteAll(objects, hooks, deps);
}

async function deleteAll(
  objects: readonly KubeObject[],
  hooks: Pick<ExecuteHooks, "owns">,
  deps: ExecuteDeps,
): Promise<Failure[]> {
  const results = await Promise.all(objects.map(async (object): Promise<Failure[]> => {
    const error = await deleteOne(object, hooks, deps);
    return error === undefined ? [] : [{ object, action: "delete", error }];
  }));
  return results.flat();
}

async function deleteOne(
  object: KubeObject,
  hooks: Pick<ExecuteHooks, "owns">,
  deps: ExecuteDeps,
): Promise<KubeError | undefined> {
  const { cache, client, signal } = deps;
  const ref = refOf(object);
  const label = `${ref.namespace}/${ref.name}`;
  let preconditions: { uid?: string; resourceVersion?: string } | undefined;
  if (cache.covers(object)) {
    const cached = cache.get(ref.type.group, ref.type.kind, ref.namespace, ref.name);
    if (cached === undefined) return undefined; // Gone already.
    if (!hooks.owns(cached)) {
      deps.log.warn(`Skipped deleting ${object.kind} that is not owned`, { object: label });
      return undefined;
    }
    preconditions = {
      ...(cached.metadata.uid === undefined ? {} : { uid: cached.metadata.uid }),
      ...(cached.metadata.resourceVersion === undefined
        ? {}
        : { resourceVersion: cached.metadata.resourceVersion }),
    };
    object = cached;
  }
  const deleted = await deleteObject(client, ref, {
    signal,
    ...(preconditions === undefined ? {} : { preconditions }),
  });
  if (!deleted.ok) return deleted.error.reason === "NotFound" ? undefined : deleted.error;
  if (deleted.value !== undefined) remember(deps, deleted.value);
  else {
    cache.forget(object);
    deps.writes.record(object, { deleted: true });
  }
  deps.log.info(`Deleted ${object.kind}`, { object: label });
  return undefined;
}

async function writeFinalizers(
  cr: KubeObject,
  finalizers: readonly string[],
  deps: ExecuteDeps,
) {
  // The resourceVersion makes the patch conditional: a finalizer someone else added meanwhile
  // is never dropped.
  const patched = await patchObject(deps.client, refOf(cr), {
    metadata: {
      finalizers: finalizers.length === 0 ? null : finalizers,
      resourceVersion: cr.metadata.resourceVersion,
    },
  }, { type: "merge", version: versionOf(cr), signal: deps.signal });
  if (patched.ok) remember(deps, patched.value);
  return patched;
}

async function writeStatus(cr: KubeObject, status: unknown, deps: ExecuteDeps) {
  const ref = refOf(cr);
  const path = objectPath(ref.type, ref, {
    version: versionOf(cr),
    subresource: "status",
  });
  // A full update of the status subresource replaces the whole status (APIGateway §1.2) and,
  // with the resourceVersion, fails on a CR changed since it was read.
  const written = await deps.client.requestObject("PUT", `${path}?fieldManager=${FIELD_MANAGER}`, {
    body: { ...cr, status },
    signal: deps.signal,
  });
  if (written.ok) remember(deps, written.value);
  return written;
}

function recordTransition(cr: KubeObject, status: unknown, deps: ExecuteDeps): void {
  const before = stateOf(cr.status);
  const after = stateOf(status);
  if (after.state === undefined) return;
  if (before.state === after.state && before.description === after.description) return;
  if (after.state === "Ready") {
    // Only a recovery is news; a first Ready is what every CR does (and would double the writes).
    if (before.state === "Error" || before.state === "Warning") {
      deps.events.record(cr, "Normal", "Recovered", after.description || "Reconciled successfully");
    }
  } else if (after.state === "Error" || after.state === "Warning") {
    deps.events.record(
      cr,
      "Warning",
      after.state === "Error" ? "ReconcileFailed" : "ReconcileWarning",
      after.description,
    );
  }
}

function stateOf(status: unknown): { state?: string; description: string } {
  if (!isRecord(status)) return { description: "" };
  return {
    ...(typeof status.state === "string" ? { state: status.state } : {}),
    description: typeof status.description === "string" ? status.description : "",
  };
}

/** Feeds the answer of a write to the cache and the reconcile's write log. */
function remember(deps: ExecuteDeps, object: KubeObject): void {
  deps.cache.remember(object);
  deps.writes.record(object, {
    deleted: object.metadata.deletionTimestamp !== undefined &&
      (object.metadata.finalizers ?? []).length === 0,
  });
}

function versionOf(object: KubeObject): string {
  return versionOfApiVersion(object.apiVersion);
}
