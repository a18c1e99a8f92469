/**
 * The boundary normalisation of apigw's custom resources read from files or stdin: `null` values
 * are handled exactly as kube-apiserver handles them before it validates a custom resource, so
 * offline entry points (render, validate, convert, explain, serve, authz, migrate) see the object
 * a cluster would store.
 *
 * The apiserver's rules (k8s.io/apiextensions-apiserver `pkg/apiserver/schema/defaulting`:
 * `Default` then `PruneNonNullableNullsWithoutDefaults`), for a structural schema:
 * - an object field (a `properties` entry, or an `additionalProperties` value) that is `null`,
 *   whose schema is not `nullable` and has a `default`, gets the default;
 * - one without a default is removed;
 * - a `null` list item gets the items' `default` when they have one and are not `nullable`, and
 *   otherwise stays (validation then rejects it: lists keep their length);
 * - under a field the schema does not describe (no properties, no additionalProperties, as in
 *   `x-kubernetes-preserve-unknown-fields` objects), nothing is touched.
 * `metadata` is decoded by the apiserver into ObjectMeta, where a `null` field is simply absent
 * and a `null` label or annotation value is the empty string.
 *
 * Strings too: the apiserver's JSON decoder (Go's `encoding/json`, also behind its YAML) replaces
 * every lone UTF-16 surrogate (`"\udfff"` in YAML or JSON) by U+FFFD, so an object never holds
 * one. apigw does the same, in keys and values of every kind; this also keeps the YAML writer,
 * which escapes a lone surrogate per character, off a slow path (1 MiB of them: 0.5 s a write).
 */
import type { OpenAPISchema } from "./schema/openapi.ts";
import { ownKind } from "./kinds.ts";

/**
 * `object` with its `null`s normalised as the apiserver would, when it is one of apigw's kinds
 * (by `apiVersion` and `kind`); of any other object only the metadata is normalised, and a value
 * that is no object comes back unchanged. Never modifies its input and never throws.
 *
 * @example
 * pruneNulls({ apiVersion: "gateway.kyma-project.io/v2", kind: "APIRule", spec: { service: null } })
 * // → { apiVersion: "gateway.kyma-project.io/v2", kind: "APIRule", spec: {} }
 */
export function pruneNulls<T>(input: T): T {
  const object = wellFormed(input, 0) as T;
  if (!isRecord(object)) return object;
  const entry = ownKind(object.apiVersion, object.kind);
  if (entry === undefined) {
    // Other kinds (Services, Gateways…) are decoded into Go structs: their metadata alike.
    if (!("metadata" in object)) return object;
    const { metadata, ...rest } = object;
    return (metadata === null ? rest : { ...rest, metadata: normalizeMetadata(metadata) }) as T;
  }
  // The schema describes the object's shape; the result keeps that shape with fewer nulls.
  return pruneNullsWith(entry.schema, object) as T;
}

/**
 * `value` with the `null`s of non-nullable fields of `schema` defaulted or removed: a new object
 * wherever the schema reaches, sharing the subtrees it does not describe.
 */
export function pruneNullsWith(schema: OpenAPISchema | undefined, value: unknown): unknown {
  return normalize(schema, value, 0);
}

// Deeper than any object the apiserver accepts (it limits JSON nesting to 10000 levels; our
// schemas are far shallower, and below them nothing is touched).
const MAX_DEPTH = 10_000;

function normalize(schema: OpenAPISchema | undefined, value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (schema === undefined) return value;
  if (Array.isArray(value)) {
    const items = schema.items;
    return value.map((item) => {
      if (item === null && items !== undefined && !items.nullable && items.default !== undefined) {
        return structuredClone(items.default);
      }
      return normalize(items, item, depth + 1);
    });
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childSchema = fieldSchema(schema, key);
    if (child === null && childSchema !== undefined && !childSchema.nullable) {
      if (childSchema.default !== undefined) set(out, key, structuredClone(childSchema.default));
    } else if (depth === 0 && key === "metadata") {
      set(out, key, normalizeMetadata(child));
    } else {
      set(out, key, normalize(childSchema, child, depth + 1));
    }
  }
  return out;
}

/**
 * `value` with every lone surrogate in its strings (keys included) replaced by U+FFFD, as Go's
 * JSON decoder does; subtrees without one are shared, not copied.
 */
function wellFormed(value: unknown, depth: number): unknown {
  if (typeof value === "string") return value.isWellFormed() ? value : value.toWellFormed();
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const fixed = wellFormed(item, depth + 1);
      if (fixed !== item) (out ??= [...value])[i] = fixed;
    });
    return out ?? value;
  }
  let changed = false;
  const entries = Object.entries(value).map(([key, child]): [string, unknown] => {
    const fixedKey = key.isWellFormed() ? key : key.toWellFormed();
    const fixed = wellFormed(child, depth + 1);
    if (fixedKey !== key || fixed !== child) changed = true;
    return [fixedKey, fixed];
  });
  if (!changed) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of entries) set(out, key, child);
  return out;
}

// A plain assignment of `__proto__` would change the copy's prototype instead of adding a field.
function set(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function fieldSchema(schema: OpenAPISchema, key: string): OpenAPISchema | undefined {
  if (schema.properties !== undefined && Object.hasOwn(schema.properties, key)) {
    return schema.properties[key];
  }
  return schema.additionalProperties;
}

const STRING_MAPS = new Set(["labels", "annotations"]);

function normalizeMetadata(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === null) continue;
    if (STRING_MAPS.has(key) && isRecord(child)) {
      const map: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(child)) set(map, k, v === null ? "" : v);
      set(out, key, map);
    } else set(out, key, child);
  }
  return out;
}

/** A field of `metadata` the apiserver could not decode, and why. */
export interface MetaProblem {
  path: string;
  reason: string;
}

const META_STRINGS = [
  "name",
  "generateName",
  "namespace",
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "deletionTimestamp",
];

/**
 * Why the apiserver could not decode `object`'s metadata into an ObjectMeta (it refuses such a
 * create outright), naming the field — or undefined when it could. Run after `pruneNulls()`.
 *
 * @example
 * objectMetaProblem({ metadata: { namespace: {} } })
 * // → { path: "metadata.namespace", reason: "must be a string, got an object" }
 */
export function objectMetaProblem(object: unknown): MetaProblem | undefined {
  if (!isRecord(object) || !("metadata" in object)) return undefined;
  const metadata = object.metadata;
  if (!isRecord(metadata)) {
    return { path: `metadata`, reason: `must be an object, got ${typeName(metadata)}` };
  }
  for (const key of META_STRINGS) {
    const value = metadata[key];
    if (value !== undefined && typeof value !== "string") {
      return { path: `metadata.${key}`, reason: `must be a string, got ${typeName(value)}` };
    }
  }
  const generation = metadata.generation;
  if (generation !== undefined && !Number.isSafeInteger(generation)) {
    return {
      path: `metadata.generation`,
      reason: `must be an integer, got ${typeName(generation)}`,
    };
  }
  for (const key of ["labels", "annotations"]) {
    const map = metadata[key];
    if (map === undefined) continue;
    if (!isRecord(map)) {
      return { path: `metadata.${key}`, reason: `must be an object, got ${typeName(map)}` };
    }
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== "string") {
        return { path: `metadata.${key}.${k}`, reason: `must be a string, got ${typeName(v)}` };
      }
    }
  }
  const finalizers = metadata.finalizers;
  if (finalizers !== undefined) {
    if (!Array.isArray(finalizers)) {
      return { path: `metadata.finalizers`, reason: `must be a list, got ${typeName(finalizers)}` };
    }
    const bad = finalizers.findIndex((f) => typeof f !== "string");
    if (bad >= 0) {
      return {
        path: `metadata.finalizers[${bad}]`,
        reason: `must be a string, got ${typeName(finalizers[bad])}`,
      };
    }
  }
  const owners = metadata.ownerReferences;
  if (owners !== undefined) {
    if (!Array.isArray(owners)) {
      return {
        path: `metadata.ownerReferences`,
        reason: `must be a list, got ${typeName(owners)}`,
      };
    }
    for (const [i, owner] of owners.entries()) {
      if (!isRecord(owner)) {
        return {
          path: `metadata.ownerReferences[${i}]`,
          reason: `must be an object, got ${typeName(owner)}`,
        };
      }
      for (const key of ["apiVersion", "kind", "name", "uid"]) {
        if (owner[key] !== undefined && typeof owner[key] !== "string") {
          return {
            path: `metadata.ownerReferences[${i}].${key}`,
            reason: `must be a string, got ${typeName(owner[key])}`,
          };
        }
      }
    }
  }
  return undefined;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
