/** Type guards for reading `unknown` input without casts. */
import type { Schema } from "../schema/build.ts";
import { validateSchema } from "../schema/validate.ts";

/** A plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A string. */
export function isString(value: unknown): value is string {
  return typeof value === "string";
}

/** True when `value` passes `schema` (types, bounds and CEL rules): it then has the schema's type. */
export function conforms<T>(schema: Schema<T>, value: unknown): value is T {
  return validateSchema(schema, value).length === 0;
}

/** The string entries of a map (non-string values are dropped); `{}` for anything else. */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === "string") out[key] = item;
  }
  return out;
}

/** The strings of a list (other items are dropped); `[]` for anything else. */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter(isString) : [];
}

/** `metadata.name` and `metadata.namespace` of an object (`default` when it has none). */
export function objectKey(object: unknown): { name: string; namespace: string } {
  const metadata = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
  return {
    name: isString(metadata.name) ? metadata.name : "",
    namespace: isString(metadata.namespace) && metadata.namespace !== ""
      ? metadata.namespace
      : "default",
  };
}
