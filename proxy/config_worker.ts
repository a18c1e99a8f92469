/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The config worker: reads and parses a config folder within its size caps off the serving
 * thread (`config_reader.ts` starts it), and compiles it too: the gateway config for
 * `apigw serve` (`gateway/compiled_transfer.ts`), the rule index and limits for `apigw authz`
 * (`authz_transfer.ts`). One message `{ id, dir, caps, compile? }` in, one `{ id, snapshot }` out
 * with plain, structured-clonable data.
 */
import { handlerDefaultsOf } from "../core/authz/oathkeeper/strategies.ts";
import { type AuthzCompileOptions, compileAuthzConfig } from "./authz_config.ts";
import { authzToPlain } from "./authz_transfer.ts";
import { type ConfigCaps, readFolderCapped } from "./config_files.ts";
import { compileGateway } from "./gateway/config.ts";
import { toPlain } from "./gateway/compiled_transfer.ts";

self.onmessage = async (event: MessageEvent<unknown>) => {
  const request = requestOf(event.data);
  if (request === undefined) return;
  const snapshot = await readFolderCapped(request.dir, request.caps);
  const compile = request.compile;
  if (snapshot.ok && compile !== undefined) {
    const compiled = compile.kind === "gateway"
      ? { compiled: toPlain(compileGateway(snapshot.objects, compile)) }
      : { authz: authzToPlain(compileAuthzConfig(snapshot.objects, compile)) };
    if (Object.values(compiled)[0] !== undefined) {
      try {
        self.postMessage({ id: request.id, snapshot: { ok: true, objects: [], ...compiled } });
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
  /** What to compile besides reading; undefined: the objects only. */
  compile?: WorkerCompile;
}

/** The embedded gateway's config, or the rule index and limits of `apigw authz`. */
export type WorkerCompile =
  | { kind: "gateway"; providerName: string }
  | { kind: "authz" } & AuthzCompileOptions;

function requestOf(data: unknown): WorkerRequest | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  if (!("id" in data && "dir" in data && "caps" in data)) return undefined;
  const { id, dir, caps } = data;
  if (typeof id !== "number" || typeof dir !== "string") return undefined;
  if (typeof caps !== "object" || caps === null) return undefined;
  if (!("maxFileBytes" in caps && "maxFolderBytes" in caps)) return undefined;
  const { maxFileBytes, maxFolderBytes } = caps;
  if (typeof maxFileBytes !== "number" || typeof maxFolderBytes !== "number") return undefined;
  const compile = "compile" in data ? compileOf(data.compile) : undefined;
  return {
    id,
    dir,
    caps: { maxFileBytes, maxFolderBytes },
    ...(compile !== undefined ? { compile } : {}),
  };
}

function compileOf(data: unknown): WorkerCompile | undefined {
  if (typeof data !== "object" || data === null || !("kind" in data)) return undefined;
  if (!("providerName" in data) || typeof data.providerName !== "string") return undefined;
  const providerName = data.providerName;
  if (data.kind === "gateway") return { kind: "gateway", providerName };
  if (data.kind !== "authz") return undefined;
  const handlerDefaults = "handlerDefaults" in data
    ? handlerDefaultsOf(data.handlerDefaults)
    : undefined;
  return {
    kind: "authz",
    providerName,
    ...(handlerDefaults !== undefined ? { handlerDefaults } : {}),
  };
}
