/**
 * What Go's `json.Unmarshal` says when a free-form handler config (APIRule v1beta1) does not fit
 * the struct upstream decodes it into: upstream puts that text into its failure messages
 * (`Can't read json: json: cannot unmarshal string into Go struct field …`).
 */
import { isRecord } from "./_guards.ts";

/** A Go type: a string, a list or map of something, or a struct with JSON field names. */
export type GoShape =
  | { kind: "string" }
  | { kind: "list"; of: GoShape; goType: string }
  | { kind: "map"; goType: string }
  | { kind: "struct"; name: string; goType: string; fields: Readonly<Record<string, GoShape>> };

export const GO_STRING: GoShape = { kind: "string" };
export const GO_STRINGS: GoShape = { kind: "list", of: GO_STRING, goType: "[]string" };

/** The first decoding error Go reports for `value` as `shape`, or undefined when it decodes. */
export function goDecodeError(
  value: unknown,
  shape: GoShape & { kind: "struct" },
): string | undefined {
  return visit(value, shape, shape.name, "");
}

function visit(value: unknown, shape: GoShape, struct: string, field: string): string | undefined {
  if (value === null || value === undefined) return undefined; // null leaves the zero value
  const mismatch = () =>
    `json: cannot unmarshal ${jsonType(value)} into Go struct field ${struct}${field} of type ${
      goType(shape)
    }`;
  switch (shape.kind) {
    case "string":
      return typeof value === "string" ? undefined : mismatch();
    case "map":
      if (!isRecord(value)) return mismatch();
      for (const item of Object.values(value)) {
        if (item !== null && typeof item !== "string") {
          return `json: cannot unmarshal ${
            jsonType(item)
          } into Go struct field ${struct}${field} of type string`;
        }
      }
      return undefined;
    case "list":
      if (!Array.isArray(value)) return mismatch();
      for (const item of value) {
        const error = visit(item, shape.of, struct, field);
        if (error !== undefined) return error;
      }
      return undefined;
    case "struct":
      if (!isRecord(value)) return mismatch();
      for (const [key, item] of Object.entries(value)) {
        const child = shape.fields[key];
        if (child === undefined) continue; // unknown fields are ignored
        const error = visit(item, child, struct, `${field}.${key}`);
        if (error !== undefined) return error;
      }
      return undefined;
  }
}

function goType(shape: GoShape): string {
  return shape.kind === "string" ? "string" : shape.goType;
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (typeof value === "boolean") return "bool";
  return typeof value === "object" ? "object" : typeof value;
}
