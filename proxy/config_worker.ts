/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The config worker: reads and parses a config folder within its size caps off the serving
 * thread (`config_reader.ts` starts it), and for `apigw serve` also compiles the gateway config
 * (`compiled_transfer.ts`). One message `{ id, dir, caps, providerName? }` in, one
 * `{ id, snapshot }` out with plain, structured-clonable data.
 */
import { type ConfigCaps, readFolderCapped } from "./config_files.ts";
import { compileGateway } from "./gateway/config.ts";
import { toPlain } from "./gateway/compiled_transfer.ts";

self.onmessage = async (event: MessageEvent<unknown>) => {
  const request = requestOf(event.data);
  if (request === undefined) return;
  const snapshot = await readFolderCapped(request.dir, request.caps);
  if (snapshot.ok && request.providerName !== undefined) {
    const plain = toPlain(compileGateway(snapshot.objects, { providerName: request.providerName }));
    if (plain !== undefined) {
      try {
        self.postMessage({ id: request.id, snapshot: { ok: true, objects: [], compiled: plain } });
        return;
      } catch {
        // Something in it cannot be cloned: the serving thread compiles the objects instead.
      }
    }
  }
  self.postMessage({ id: request.id, snapshot });
};

interface WorkerRequest {
  id: number;
  dir: string;
  caps: ConfigCaps;
  /** Compile the embedded gateway's config for this extAuth provider name too. */
  providerName?: string;
}

function requestOf(data: unknown): WorkerRequest | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  if (!("id" in data && "dir" in data && "caps" in data)) return undefined;
  const { id, dir, caps } = data;
  if (typeof id !== "number" || typeof dir !== "string") return undefined;
  if (typeof caps !== "object" || caps === null) return undefined;
  if (!("maxFileBytes" in caps && "maxFolderBytes" in caps)) return undefined;
  const { maxFileBytes, maxFolderBytes } = caps;
  if (typeof maxFileBytes !== "number" || typeof maxFolderBytes !== "number") return undefined;
  const providerName = "providerName" in data && typeof data.providerName === "string"
    ? data.providerName
    : undefined;
  return {
    id,
    dir,
    caps: { maxFileBytes, maxFolderBytes },
    ...(providerName !== undefined ? { providerName } : {}),
  };
}
