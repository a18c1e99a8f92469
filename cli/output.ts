/**
 * Prints objects the way the offline commands do: YAML (one document per object, `---` between)
 * or JSON (`v1` List, or the bare object for a single result).
 */
import { stringify } from "yaml";
import { oneOf, type Result } from "../config.ts";

export type OutputFormat = "yaml" | "json";

/** Parses an `-o` value. */
export const outputFormat: (raw: string) => Result<OutputFormat, string> = oneOf(
  ["yaml", "json"] as const,
);

/** One YAML document per object, in order. */
export function toYaml(objects: readonly unknown[]): string {
  return objects.map((o) =>
    stringify(o, { lineWidth: 0, aliasDuplicateObjects: false, version: "1.1" })
  ).join("---\n");
}

/** A `v1` List of the objects, as indented JSON. */
export function toJsonList(objects: readonly unknown[]): string {
  return JSON.stringify({ apiVersion: "v1", kind: "List", metadata: {}, items: objects }, null, 2) +
    "\n";
}
