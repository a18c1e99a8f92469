/**
 * Where rule snapshots come from. A `RuleSource` delivers whole snapshots (every object it
 * knows) until its signal aborts: the folder source for standalone mode here, the cluster
 * source (`cluster_source.ts`) for Kubernetes.
 */
import { parseAllDocuments } from "yaml";
import type { CompiledGateway } from "./gateway/config.ts";
import type { AuthzConfig } from "./authz_config.ts";
import type { Compiled } from "./config_problem.ts";
import { objectMetaProblem, pruneNulls } from "../api/normalize.ts";

/**
 * A folder or cluster snapshot. `compiled` (the embedded gateway's config) or `authz` (the rule
 * index and limits of `apigw authz`): compiled off the serving thread by the config worker;
 * `objects` is then empty.
 */
export type Snapshot =
  | {
    ok: true;
    objects: readonly unknown[];
    /**
     * The objects are a cluster's, each admitted on its own by the apiserver: a refused object
     * is skipped and the rest served (`snapshot_store.ts`), so one namespace's object cannot hold
     * back every other change (a revoked rule among them).
     */
    independent?: true;
    compiled?: CompiledGateway;
    authz?: Compiled<AuthzConfig>;
  }
  | { ok: false; error: string };

/** The narrow interface `apigw authz` runs rules from. */
export interface RuleSource {
  /** Delivers snapshots to `onSnapshot`; resolves once `signal` aborts and watching stopped. */
  run(onSnapshot: (snapshot: Snapshot) => void, signal: AbortSignal): Promise<void>;
}

const FILE = /\.(ya?ml|json)$/;

/** Reads every `*.yaml`, `*.yml` and `*.json` of `dir` (recursively) as one snapshot. */
export async function readFolder(dir: string): Promise<Snapshot> {
  const objects: unknown[] = [];
  try {
    for (const file of (await listFiles(dir)).sort()) {
      const parsed = parseObjects(await Deno.readTextFile(file), file);
      if (typeof parsed === "string") return { ok: false, error: parsed };
      objects.push(...parsed);
    }
  } catch (error) {
    return {
      ok: false,
      error: `Cannot read "${dir}": ${error instanceof Error ? error.message : error}`,
    };
  }
  return { ok: true, objects };
}

/** A folder source: one snapshot at start, then one after each burst of file changes. */
export function folderSource(
  dir: string,
  options: { debounceMs?: number; read?: (dir: string) => Promise<Snapshot> } = {},
): RuleSource {
  const debounceMs = options.debounceMs ?? 100;
  const read = options.read ?? readFolder;
  return {
    async run(onSnapshot, signal) {
      if (signal.aborted) return;
      const watcher = Deno.watchFs(dir, { recursive: true });
      const stop = () => watcher.close();
      signal.addEventListener("abort", stop, { once: true });
      onSnapshot(await read(dir));
      let timer: ReturnType<typeof setTimeout> | undefined;
      let reading = Promise.resolve();
      try {
        for await (const event of watcher) {
          if (!event.paths.some((p) => FILE.test(p))) continue;
          clearTimeout(timer);
          timer = setTimeout(() => {
            reading = reading.then(async () => {
              if (!signal.aborted) onSnapshot(await read(dir));
            });
          }, debounceMs);
        }
      } finally {
        clearTimeout(timer);
        signal.removeEventListener("abort", stop);
        await reading;
      }
    },
  };
}

/** Every `*.yaml`, `*.yml` and `*.json` file of `dir`, recursively (dot folders skipped). */
export async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir.replace(/\/$/, "")}/${entry.name}`;
    if (entry.isDirectory && !entry.name.startsWith(".")) files.push(...await listFiles(path));
    else if (entry.isFile && FILE.test(entry.name)) files.push(path);
  }
  return files;
}

/**
 * Every object of a multi-document YAML or JSON text; `List` items and arrays flattened, `null`s
 * normalised as the apiserver does before it validates (`api/normalize.ts`).
 */
export function parseObjects(text: string, file: string): unknown[] | string {
  const objects: unknown[] = [];
  for (const [index, document] of parseAllDocuments(text, { uniqueKeys: false }).entries()) {
    const error = document.errors[0];
    if (error !== undefined) {
      return `Cannot parse "${file}" document ${index + 1}: ${error.message}`;
    }
    for (const object of flatten(document.toJS({ maxAliasCount: 100 })).map(pruneNulls)) {
      // Metadata the apiserver could not decode: the file is refused, like YAML that does not parse.
      const problem = objectMetaProblem(object);
      if (problem !== undefined) {
        return `Cannot read "${file}" document ${index + 1}: ${problem.path}: ${problem.reason}`;
      }
      objects.push(object);
    }
  }
  return objects;
}

function flatten(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap(flatten);
  if (typeof value === "object" && "kind" in value && value.kind === "List" && "items" in value) {
    return Array.isArray(value.items) ? value.items.flatMap(flatten) : [];
  }
  return [value];
}
