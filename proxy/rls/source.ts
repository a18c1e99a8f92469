/**
 * Where the rate limit configuration comes from: a folder of YAML files (a mounted ConfigMap is
 * one: its files are symlinks into `..data`), watched for changes; or a ConfigMap read through
 * the Kubernetes API, watched, each `*.yaml`/`*.yml` key one file. Each source delivers the whole
 * file set on every change; the caller parses it and keeps the last good configuration.
 */
import type { KubeClient } from "../../kube/client.ts";
import type { ConfigFile } from "./config.ts";

export type FileSet = { ok: true; files: ConfigFile[] } | { ok: false; error: string };

export interface RlsSource {
  /** The file set now; then `onChange` after every change until `signal` aborts. */
  run(onChange: (files: FileSet) => void, signal: AbortSignal): Promise<void>;
}

const YAML = /\.ya?ml$/;

/** Every `*.yaml`/`*.yml` under `dir` (symlinks followed, dot folders skipped), sorted by path. */
export async function readConfigFolder(dir: string): Promise<FileSet> {
  const files: ConfigFile[] = [];
  try {
    for (const path of (await listYaml(dir.replace(/\/$/, ""))).sort()) {
      files.push({ name: path, text: await Deno.readTextFile(path) });
    }
  } catch (error) {
    return { ok: false, error: `Cannot read "${dir}": ${String(error)}` };
  }
  return { ok: true, files };
}

async function listYaml(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".")) continue;
    const path = `${dir}/${entry.name}`;
    const info = entry.isSymlink ? await Deno.stat(path) : entry;
    if (info.isDirectory) paths.push(...await listYaml(path));
    else if (info.isFile && YAML.test(entry.name)) paths.push(path);
  }
  return paths;
}

/** A watched folder; bursts of changes are read once, `debounceMs` after the last event. */
export function folderRlsSource(dir: string, debounceMs = 100): RlsSource {
  return {
    async run(onChange, signal) {
      if (signal.aborted) return;
      const watcher = Deno.watchFs(dir, { recursive: true });
      const stop = () => watcher.close();
      signal.addEventListener("abort", stop, { once: true });
      onChange(await readConfigFolder(dir));
      let timer: ReturnType<typeof setTimeout> | undefined;
      let reading = Promise.resolve();
      try {
        for await (const _ of watcher) {
          clearTimeout(timer);
          timer = setTimeout(() => {
            reading = reading.then(async () => {
              if (!signal.aborted) onChange(await readConfigFolder(dir));
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

/** One ConfigMap, read then watched; a broken watch is re-established after `retryMs`. */
export function configMapRlsSource(
  client: KubeClient,
  ref: { namespace: string; name: string },
  retryMs = 1_000,
): RlsSource {
  const base = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/configmaps`;
  return {
    async run(onChange, signal) {
      while (!signal.aborted) {
        const got = await client.request("GET", `${base}/${encodeURIComponent(ref.name)}`, {
          signal,
        });
        if (!got.ok) {
          onChange({
            ok: false,
            error: `Cannot read ConfigMap "${ref.namespace}/${ref.name}": ${got.error.message}`,
          });
        } else {
          onChange(filesOf(got.value, ref));
          const version = resourceVersionOf(got.value);
          const selector = encodeURIComponent(`metadata.name=${ref.name}`);
          const watch = await client.stream(
            `${base}?watch=1&fieldSelector=${selector}&resourceVersion=${version}`,
            { signal },
          );
          if (watch.ok) {
            try {
              for await (const event of watch.value) {
                if (!isRecord(event)) continue;
                if (event.type === "ADDED" || event.type === "MODIFIED") {
                  onChange(filesOf(event.object, ref));
                } else if (event.type === "DELETED") {
                  onChange({
                    ok: false,
                    error: `ConfigMap "${ref.namespace}/${ref.name}" was deleted`,
                  });
                } else if (event.type === "ERROR") break;
              }
            } catch { /* the stream broke: read and watch again */ }
          }
        }
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, retryMs);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve(undefined);
          }, { once: true });
        });
      }
    },
  };
}

function filesOf(object: unknown, ref: { namespace: string; name: string }): FileSet {
  const data = isRecord(object) && isRecord(object.data) ? object.data : {};
  const files: ConfigFile[] = [];
  for (const key of Object.keys(data).sort()) {
    const text = data[key];
    if (YAML.test(key) && typeof text === "string") {
      files.push({ name: `configmap ${ref.namespace}/${ref.name} ${key}`, text });
    }
  }
  return { ok: true, files };
}

function resourceVersionOf(object: unknown): string {
  const metadata = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
  return typeof metadata.resourceVersion === "string" ? metadata.resourceVersion : "0";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
