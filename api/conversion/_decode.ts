/**
 * Decoding of `unknown` input into the loose shapes of `_types.ts`, driven by the CRD schemas:
 * JSON types are checked and unknown fields dropped, as Go's decoder does when the webhook reads
 * an object. Values are not validated further (patterns, enums, `required`): conversion must
 * carry whatever is stored. Never throws.
 */
import type { OpenAPISchema } from "../schema/openapi.ts";
import type { Schema } from "../schema/build.ts";
import { fail, type FieldError, type Loose, ok, type Result } from "./_types.ts";

/** Deeper nesting than this is refused, so that hostile input cannot exhaust the stack. */
const MAX_DEPTH = 100;

/** Tells whether `value` is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `a string`, `a list`, `null`…: how messages name the JSON type of a value. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number";
  return typeof value === "undefined" ? "nothing" : `a ${typeof value}`;
}

/** A value in a message: strings quoted, anything else by its JSON type. */
export function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : describe(value);
}

/** Checks `value` against the JSON types of `schema`; returns a copy without unknown fields. */
export function decodeShape<T>(
  schema: Schema<T>,
  value: unknown,
  path: string,
): Result<Loose<T>, FieldError> {
  const decoded = decode(schema, value, path, 0);
  if (!decoded.ok) return decoded;
  // The one cast of conversion: the schema is the source of the type (build.ts), and `decode`
  // has checked every JSON type the schema names, so the value has the shape `Loose<T>` says.
  return ok(decoded.value as Loose<T>);
}

function decode(
  schema: OpenAPISchema,
  value: unknown,
  path: string,
  depth: number,
): Result<unknown, FieldError> {
  if (depth > MAX_DEPTH) return fail(path, "is nested too deeply");
  switch (schema.type) {
    case "string":
      return typeof value === "string" ? ok(value) : mismatch(path, "a string", value);
    case "integer":
      return Number.isSafeInteger(value) ? ok(value) : mismatch(path, "an integer", value);
    case "number":
      return typeof value === "number" && Number.isFinite(value)
        ? ok(value)
        : mismatch(path, "a number", value);
    case "boolean":
      return typeof value === "boolean" ? ok(value) : mismatch(path, "a boolean", value);
    case "array":
      return decodeArray(schema, value, path, depth);
    case "object":
      if (!isRecord(value)) return mismatch(path, "an object", value);
      if (schema.properties === undefined && schema.additionalProperties === undefined) {
        return jsonValue(value, path, depth);
      }
      return decodeObject(schema, value, path, depth);
    default:
      return jsonValue(value, path, depth);
  }
}

function decodeArray(
  schema: OpenAPISchema,
  value: unknown,
  path: string,
  depth: number,
): Result<unknown, FieldError> {
  if (!Array.isArray(value)) return mismatch(path, "a list", value);
  const items: unknown[] = [];
  for (const [index, item] of value.entries()) {
    const decoded = decode(schema.items ?? {}, item, `${path}[${index}]`, depth + 1);
    if (!decoded.ok) return decoded;
    items.push(decoded.value);
  }
  return ok(items);
}

function decodeObject(
  schema: OpenAPISchema,
  value: Record<string, unknown>,
  path: string,
  depth: number,
): Result<unknown, FieldError> {
  const entries: [string, unknown][] = [];
  const keys = schema.properties !== undefined
    ? Object.keys(schema.properties).filter((key) => Object.hasOwn(value, key))
    : Object.keys(value);
  for (const key of keys) {
    const child = schema.properties?.[key] ?? schema.additionalProperties;
    const field = value[key];
    // Go decodes `null` into an optional field as "absent".
    if (child === undefined || field === null || field === undefined) continue;
    const decoded = decode(child, field, childPath(path, key, schema), depth + 1);
    if (!decoded.ok) return decoded;
    entries.push([key, decoded.value]);
  }
  // fromEntries defines own properties, so a "__proto__" key stays a plain key.
  return ok(Object.fromEntries(entries));
}

function childPath(path: string, key: string, schema: OpenAPISchema): string {
  if (schema.properties === undefined) return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

/** Copies a free-form JSON value; fails on what JSON cannot carry. */
function jsonValue(value: unknown, path: string, depth: number): Result<unknown, FieldError> {
  if (depth > MAX_DEPTH) return fail(path, "is nested too deeply");
  if (value === null || typeof value === "string" || typeof value === "boolean") return ok(value);
  if (typeof value === "number") {
    return Number.isFinite(value) ? ok(value) : fail(path, `is not a JSON number: ${value}`);
  }
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const [index, item] of value.entries()) {
      const copied = jsonValue(item, `${path}[${index}]`, depth + 1);
      if (!copied.ok) return copied;
      items.push(copied.value);
    }
    return ok(items);
  }
  if (isRecord(value)) {
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(value)) {
      if (value[key] === undefined) continue;
      const copied = jsonValue(value[key], `${path}.${key}`, depth + 1);
      if (!copied.ok) return copied;
      entries.push([key, copied.value]);
    }
    return ok(Object.fromEntries(entries));
  }
  return fail(path, `is not a JSON value: ${describe(value)}`);
}

/** The error of a value of the wrong JSON type. */
export function mismatch(
  path: string,
  expected: string,
  value: unknown,
): { ok: false; error: FieldError } {
  return fail(path, `must be ${expected}, got ${describe(value)}`);
}
