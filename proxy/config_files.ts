/**
 * Reading a config folder within size caps (dataplane hardening, issue 14 #7). Every file's
 * size is checked before it is read: a file over the per-file cap, or a folder whose files add up
 * to more than the per-folder cap, refuses the whole snapshot, so the last good config keeps
 * serving. Files are read through a cap-sized buffer, so one that grows after its size was taken
 * is refused too. Runs in the config worker (`config_worker.ts`), off the serving thread.
 */
import { listFiles, parseObjects } from "./rule_source.ts";

export interface ConfigCaps {
  /** Largest config file, in bytes. */
  maxFileBytes: number;
  /** Largest sum of the folder's config files, in bytes. */
  maxFolderBytes: number;
}

/** What refused a snapshot by size; `file` is the folder for `folder_size`. */
export interface Refusal {
  reason: "file_size" | "folder_size";
  file: string;
  bytes: number;
  cap: number;
}

/** A folder snapshot, or why not; `refused` when a size cap said no. */
export type CappedSnapshot =
  | { ok: true; objects: unknown[] }
  | { ok: false; error: string; refused?: Refusal };

/** Defaults like nginx's client_max_body_size order of magnitude: far above any real config. */
export const DEFAULT_CONFIG_CAPS: ConfigCaps = {
  maxFileBytes: 1024 * 1024,
  maxFolderBytes: 16 * 1024 * 1024,
};

/** Every `*.yaml`, `*.yml` and `*.json` of `dir` (recursively) as one snapshot, within `caps`. */
export async function readFolderCapped(dir: string, caps: ConfigCaps): Promise<CappedSnapshot> {
  try {
    const files: { path: string; size: number }[] = [];
    let total = 0;
    for (const path of (await listFiles(dir)).sort()) {
      const { size } = await Deno.stat(path);
      if (size > caps.maxFileBytes) return refuse("file_size", path, size, caps.maxFileBytes);
      total += size;
      files.push({ path, size });
    }
    if (total > caps.maxFolderBytes) {
      return refuse("folder_size", dir, total, caps.maxFolderBytes);
    }
    const objects: unknown[] = [];
    let read = 0;
    for (const { path } of files) {
      const bytes = await readAtMost(path, caps.maxFileBytes);
      if (bytes === undefined) {
        return refuse("file_size", path, caps.maxFileBytes + 1, caps.maxFileBytes);
      }
      read += bytes.byteLength;
      if (read > caps.maxFolderBytes) return refuse("folder_size", dir, read, caps.maxFolderBytes);
      const parsed = parseObjects(new TextDecoder().decode(bytes), path);
      if (typeof parsed === "string") return { ok: false, error: parsed };
      objects.push(...parsed);
    }
    return { ok: true, objects };
  } catch (error) {
    return {
      ok: false,
      error: `Cannot read "${dir}": ${error instanceof Error ? error.message : error}`,
    };
  }
}

function refuse(reason: Refusal["reason"], file: string, bytes: number, cap: number) {
  const what = reason === "file_size" ? "file" : "folder";
  return {
    ok: false as const,
    error: `Config ${what} "${file}" has ${bytes} bytes, over the ${what} cap of ${cap}: ` +
      "refused without parsing",
    refused: { reason, file, bytes, cap },
  };
}

/** The file's bytes, or undefined once it has more than `limit`. */
async function readAtMost(path: string, limit: number): Promise<Uint8Array | undefined> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(limit + 1);
  let length = 0;
  while (length < buffer.length) {
    const n = await file.read(buffer.subarray(length));
    if (n === null) return buffer.subarray(0, length);
    length += n;
  }
  return undefined;
}
