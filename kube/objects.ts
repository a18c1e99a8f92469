/**
 * Object operations on top of the client: get, paginated list, create, server-side apply,
 * patches, status and delete. Each names its object in errors and returns a `Result`.
 * https://kubernetes.io/docs/reference/using-api/server-side-apply/
 */
import type { KubeObject } from "../api/meta.ts";
import type { Result } from "../api/result.ts";
import type { KubeClient } from "./client.ts";
import type { KubeError } from "./errors.ts";
import { asKubeObject, isRecord } from "./object.ts";
import {
  collectionPath,
  groupOfApiVersion,
  objectPath,
  type ResourceType,
  resourceType,
  versionOfApiVersion,
} from "./resources.ts";

/** Field manager of every write apigw makes (spec README decision 8). */
export const FIELD_MANAGER = "apigw";

/** One object's address. */
export interface ObjectRef {
  type: ResourceType;
  namespace: string;
  name: string;
}

/** The address of an object. */
export function refOf(object: KubeObject): ObjectRef {
  return {
    type: resourceType(groupOfApiVersion(object.apiVersion), object.kind),
    namespace: object.metadata.namespace ?? "",
    name: object.metadata.name ?? "",
  };
}

/** Reads one object (in the type's version, or `version`). */
export function getObject(
  client: KubeClient,
  ref: ObjectRef,
  options: { version?: string; signal?: AbortSignal } = {},
): Promise<Result<KubeObject, KubeError>> {
  return client.requestObject("GET", objectPath(ref.type, ref, versionOption(options.version)), {
    ...signalOption(options.signal),
  });
}

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
}

/**
 * Lists every object (all pages of `pageSize`, default 500) of a type, optionally in one
 * namespace or by selectors. `transform` shrinks each item as its page arrives, so the raw pages
 * are garbage once parsed and the peak is one page plus the shrunk items. A continue token that
 * expired meanwhile (`410 Gone` on a later page) restarts the list once from its first page, as
 * client-go's pager does.
 */
export async function listObjects(
  client: KubeClient,
  type: ResourceType,
  options: {
    namespace?: string | undefined;
    fieldSelector?: string | undefined;
    labelSelector?: string | undefined;
    accept?: string;
    signal?: AbortSignal;
    pageSize?: number;
    transform?: (object: KubeObject) => KubeObject;
  } = {},
): Promise<Result<ListPage, KubeError>> {
  const transform = options.transform ?? ((object: KubeObject) => object);
  let items: KubeObject[] = [];
  let continueToken: string | undefined;
  let resourceVersion = "";
  let restarted = false;
  while (true) {
    const query = new URLSearchParams({ limit: String(options.pageSize ?? 500) });
    if (options.fieldSelector) query.set("fieldSelector", options.fieldSelector);
    if (options.labelSelector) query.set("labelSelector", options.labelSelector);
    if (continueToken !== undefined) query.set("continue", continueToken);
    const result = await client.request(
      "GET",
      `${collectionPath(type, { namespace: options.namespace })}?${query}`,
      {
        ...signalOption(options.signal),
        ...(options.accept === undefined ? {} : { accept: options.accept }),
      },
    );
    if (!result.ok) {
      if (result.error.reason !== "Gone" || continueToken === undefined || restarted) return result;
      restarted = true;
      items = [];
      continueToken = undefined;
      continue;
    }
    const body = result.value;
    const metadata = isRecord(body) && isRecord(body.metadata) ? body.metadata : {};
    const list = isRecord(body) && Array.isArray(body.items) ? body.items : [];
    for (const raw of list) {
      // List items of custom resources carry apiVersion and kind; core lists may leave them out.
      const object = asKubeObject(isRecord(raw) ? withKind(raw, type) : raw);
      if (object !== undefined) items.push(transform(object));
    }
    resourceVersion = typeof metadata.resourceVersion === "string"
      ? metadata.resourceVersion
      : resourceVersion;
    continueToken = typeof metadata.continue === "string" && metadata.continue !== ""
      ? metadata.continue
      : undefined;
    if (continueToken === undefined) break;
  }
  return { ok: true, value: { items, resourceVersion } };
}

/**
 * Server-side applies `object` as `FIELD_MANAGER`, taking over conflicting fields (`force`): the
 * desired state is ours to decide. With `metadata.uid` set, the apiserver applies only to that
 * very object and never creates one (a deleted object answers `Conflict`).
 */
export function applyObject(
  client: KubeClient,
  object: KubeObject,
  options: { signal?: AbortSignal; subresource?: string } = {},
): Promise<Result<KubeObject, KubeError>> {
  const type = resourceType(groupOfApiVersion(object.apiVersion), object.kind);
  const path = objectPath(type, {
    namespace: object.metadata.namespace,
    name: object.metadata.name ?? "",
  }, {
    version: versionOfApiVersion(object.apiVersion),
    ...(options.subresource === undefined ? {} : { subresource: options.subresource }),
  });
  return client.requestObject("PATCH", `${path}?fieldManager=${FIELD_MANAGER}&force=true`, {
    body: object,
    contentType: "application/apply-patch+yaml",
    ...signalOption(options.signal),
  });
}

/** A merge or JSON patch of one object (or its `subresource`). */
export function patchObject(
  client: KubeClient,
  ref: ObjectRef,
  patch: unknown,
  options: {
    type: "merge" | "json";
    subresource?: string;
    version?: string;
    signal?: AbortSignal;
  },
): Promise<Result<KubeObject, KubeError>> {
  const path = objectPath(ref.type, ref, {
    ...versionOption(options.version),
    ...(options.subresource === undefined ? {} : { subresource: options.subresource }),
  });
  return client.requestObject("PATCH", `${path}?fieldManager=${FIELD_MANAGER}`, {
    body: patch,
    contentType: options.type === "merge"
      ? "application/merge-patch+json"
      : "application/json-patch+json",
    ...signalOption(options.signal),
  });
}

/**
 * Deletes one object. `preconditions` make the apiserver refuse (`Conflict`) when the object is
 * no longer the one the caller checked. NotFound is the caller's to judge.
 */
export async function deleteObject(
  client: KubeClient,
  ref: ObjectRef,
  options: {
    preconditions?: { uid?: string; resourceVersion?: string };
    signal?: AbortSignal;
  } = {},
): Promise<Result<KubeObject | undefined, KubeError>> {
  const result = await client.request("DELETE", objectPath(ref.type, ref), {
    body: {
      apiVersion: "v1",
      kind: "DeleteOptions",
      propagationPolicy: "Background",
      ...(options.preconditions === undefined ? {} : { preconditions: options.preconditions }),
    },
    ...signalOption(options.signal),
  });
  if (!result.ok) return result;
  // 200 with the object while finalizers hold it, or a Status once it is gone.
  const object = asKubeObject(result.value);
  return { ok: true, value: object?.kind === "Status" ? undefined : object };
}

function withKind(raw: Record<string, unknown>, type: ResourceType): Record<string, unknown> {
  if (typeof raw.apiVersion === "string" && typeof raw.kind === "string") return raw;
  const apiVersion = type.group === "" ? type.version : `${type.group}/${type.version}`;
  return { ...raw, apiVersion, kind: type.kind };
}

function versionOption(version: string | undefined): { version?: string } {
  return version === undefined ? {} : { version };
}

function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}
