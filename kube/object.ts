/** Guards for Kubernetes objects arriving as `unknown`, and small readers of their metadata. */
import type { KubeObject, ObjectMeta } from "../api/meta.ts";

/** The value as a Kubernetes object, or undefined when it lacks apiVersion, kind or metadata. */
export function asKubeObject(value: unknown): KubeObject | undefined {
  if (!isRecord(value)) return undefined;
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !isRecord(metadata)) {
    return undefined;
  }
  return { ...value, apiVersion, kind, metadata: metaOf(metadata) };
}

/** `namespace/name` (or `name` for cluster-scoped objects): the key stores and queues use. */
export function objectKey(object: { metadata: ObjectMeta }): string {
  return keyOf(object.metadata.namespace ?? "", object.metadata.name ?? "");
}

/** The key of a namespace and name. */
export function keyOf(namespace: string, name: string): string {
  return namespace === "" ? name : `${namespace}/${name}`;
}

/** The namespace and name in a key. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  return slash === -1
    ? { namespace: "", name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The resourceVersion as a number, when it is one (etcd's are; the API calls them opaque). */
export function numericVersion(object: { metadata: ObjectMeta }): number | undefined {
  const rv = object.metadata.resourceVersion;
  if (rv === undefined || !/^\d+$/.test(rv)) return undefined;
  return Number(rv);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function metaOf(raw: Record<string, unknown>): ObjectMeta {
  const meta: ObjectMeta = {};
  const text = (key: string) => {
    const value = raw[key];
    return typeof value === "string" ? value : undefined;
  };
  const name = text("name");
  if (name !== undefined) meta.name = name;
  const generateName = text("generateName");
  if (generateName !== undefined) meta.generateName = generateName;
  const namespace = text("namespace");
  if (namespace !== undefined) meta.namespace = namespace;
  const uid = text("uid");
  if (uid !== undefined) meta.uid = uid;
  const resourceVersion = text("resourceVersion");
  if (resourceVersion !== undefined) meta.resourceVersion = resourceVersion;
  const creationTimestamp = text("creationTimestamp");
  if (creationTimestamp !== undefined) meta.creationTimestamp = creationTimestamp;
  const deletionTimestamp = text("deletionTimestamp");
  if (deletionTimestamp !== undefined) meta.deletionTimestamp = deletionTimestamp;
  if (typeof raw.generation === "number") meta.generation = raw.generation;
  if (isStringMap(raw.labels)) meta.labels = raw.labels;
  if (isStringMap(raw.annotations)) meta.annotations = raw.annotations;
  if (isStringList(raw.finalizers)) meta.finalizers = raw.finalizers;
  if (Array.isArray(raw.ownerReferences)) {
    meta.ownerReferences = raw.ownerReferences.flatMap((r) => {
      if (!isRecord(r)) return [];
      const { apiVersion, kind, name, uid, controller, blockOwnerDeletion } = r;
      if (typeof apiVersion !== "string" || typeof kind !== "string" || typeof name !== "string") {
        return [];
      }
      return [{
        apiVersion,
        kind,
        name,
        ...(typeof uid === "string" ? { uid } : {}),
        ...(typeof controller === "boolean" ? { controller } : {}),
        ...(typeof blockOwnerDeletion === "boolean" ? { blockOwnerDeletion } : {}),
      }];
    });
  }
  return meta;
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === "string");
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}
