/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The config worker: reads and parses a config folder within its size caps off the serving
 * thread (`config_reader.ts` starts it). One message `{ id, dir, caps }` in, one
 * `{ id, snapshot }` out with plain, structured-clonable objects.
 */
import { type ConfigCaps, readFolderCapped } from "./config_files.ts";

self.onmessage = async (event: MessageEvent<unknown>) => {
  const request = requestOf(event.data);
  if (request === undefined) return;
  const snapshot = await readFolderCapped(request.dir, request.caps);
  self.postMessage({ id: request.id, snapshot });
};

function requestOf(data: unknown): { id: number; dir: string; caps: ConfigCaps } | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  if (!("id" in data && "dir" in data && "caps" in data)) return undefined;
  const { id, dir, caps } = data;
  if (typeof id !== "number" || typeof dir !== "string") return undefined;
  if (typeof caps !== "object" || caps === null) return undefined;
  if (!("maxFileBytes" in caps && "maxFolderBytes" in caps)) return undefined;
  const { maxFileBytes, maxFolderBytes } = caps;
  if (typeof maxFileBytes !== "number" || typeof maxFolderBytes !== "number") return undefined;
  return { id, dir, caps: { maxFileBytes, maxFolderBytes } };
}
