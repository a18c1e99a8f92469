/**
 * Reads the `-f FILE` inputs of the offline commands: multi-document YAML or JSON (a single
 * object, a `v1` List, or an array), `-` for stdin. Every object comes back with where it was
 * found, so messages can name the file and document, and with its `null`s normalised as the
 * apiserver does before it validates (`api/normalize.ts`).
 */
import { parseAllDocuments } from "yaml";
import { objectMetaProblem, pruneNulls } from "../api/normalize.ts";

export interface InputObject {
  /** `file.yaml#2`: file and 1-based document index, for messages. */
  source: string;
  value: Record<string, unknown>;
}

export type ReadResult = { ok: true; objects: InputObject[] } | { ok: false; error: string };

/** Reads and parses every file; fails with the first unreadable or unparsable one. */
export async function readInputs(
  files: readonly string[],
  readStdin: () => Promise<string> = readAllStdin,
): Promise<ReadResult> {
  const objects: InputObject[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = file === "-" ? await readStdin() : await Deno.readTextFile(file);
    } catch (error) {
      return { ok: false, error: `Cannot read "${file}": ${errorText(error)}` };
    }
    const parsed = parseText(text, file);
    if (!parsed.ok) return parsed;
    objects.push(...parsed.objects);
  }
  return { ok: true, objects };
}

/** Parses one file's text into objects (List items and arrays are flattened). */
export function parseText(text: string, file: string): ReadResult {
  const objects: InputObject[] = [];
  let documents;
  try {
    documents = parseAllDocuments(text, { uniqueKeys: false });
  } catch (error) {
    return { ok: false, error: `Cannot parse "${file}": ${errorText(error)}` };
  }
  for (const [index, document] of documents.entries()) {
    if (document.errors.length > 0) {
      return {
        ok: false,
        error: `Cannot parse "${file}" document ${index + 1}: ${document.errors[0]!.message}`,
      };
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    const source = documents.length > 1 ? `${file}#${index + 1}` : file;
    for (const item of flatten(value)) {
      if (!isRecord(item)) {
        return {
          ok: false,
          error: `Cannot read "${source}": expected an object, got ${typeOf(item)}`,
        };
      }
      const value = pruneNulls(item);
      // The apiserver refuses an object whose metadata it cannot decode: so does every reader.
      const problem = objectMetaProblem(value);
      if (problem !== undefined) {
        return {
          ok: false,
          error: `Cannot read "${source}": ${
            describeKind(value)
          }${problem.path}: ${problem.reason}`,
        };
      }
      objects.push({ source, value });
    }
  }
  return { ok: true, objects };
}

function describeKind(value: Record<string, unknown>): string {
  return typeof value.kind === "string" ? `${value.kind} ` : "";
}

function flatten(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap(flatten);
  if (isRecord(value) && value.kind === "List" && Array.isArray(value.items)) {
    return value.items.flatMap(flatten);
  }
  return [value];
}

/** Tells whether `value` is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeOf(value: unknown): string {
  return Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readAllStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}
