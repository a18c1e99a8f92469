/**
 * Reads config folders in a Worker (`config_worker.ts`), so a large or slow folder does not
 * stall requests: the serving thread receives the parsed objects (or, for the embedded gateway,
 * its compiled config) instead of reading and parsing them itself. Snapshots refused by a size
 * cap are logged (file, bytes, cap) and counted for `/metrics`.
 */
import type { Logger } from "../lib/log.ts";
import type { CappedSnapshot, ConfigCaps, Refusal } from "./config_files.ts";
import type { Snapshot } from "./rule_source.ts";
import { fromPlain, type PlainGateway } from "./gateway/compiled_transfer.ts";
import { authzFromPlain, type PlainAuthz } from "./authz_transfer.ts";
import type { WorkerCompile } from "./config_worker.ts";

type WorkerSnapshot =
  | CappedSnapshot
  | { ok: true; objects: unknown[]; compiled: PlainGateway }
  | { ok: true; objects: unknown[]; authz: PlainAuthz };

export interface ConfigReader {
  /** The folder as one snapshot, read and parsed off this thread. */
  read(dir: string): Promise<Snapshot>;
  /** `apigw_config_refused_total` by reason. */
  renderMetrics(): string;
  /** Stops the worker; pending reads answer with an error snapshot. */
  close(): void;
}

const REASONS: readonly Refusal["reason"][] = ["file_size", "folder_size"];

/**
 * A reader whose worker starts on the first read. With `compile`, the worker also compiles the
 * embedded gateway's config (`compiled`) or `apigw authz`'s rule index and limits (`authz`) and
 * the snapshot carries it: the serving thread then only rebuilds its few functions
 * (`gateway/compiled_transfer.ts`, `authz_transfer.ts`) and swaps it in.
 */
export function createConfigReader(
  caps: ConfigCaps,
  deps: { log: Logger; compile?: WorkerCompile },
): ConfigReader {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, (snapshot: WorkerSnapshot) => void>();
  const refused = new Map<Refusal["reason"], number>(REASONS.map((r) => [r, 0]));

  function failAll(error: string) {
    for (const resolve of pending.values()) resolve({ ok: false, error });
    pending.clear();
  }

  function start(): Worker {
    const started = new Worker(new URL("./config_worker.ts", import.meta.url), {
      type: "module",
    });
    started.onmessage = (event: MessageEvent<{ id: number; snapshot: WorkerSnapshot }>) => {
      const resolve = pending.get(event.data.id);
      pending.delete(event.data.id);
      resolve?.(event.data.snapshot);
    };
    started.onerror = (event) => {
      event.preventDefault();
      // A crashed worker is replaced on the next read; its reads fail, the last config serves.
      started.terminate();
      if (worker === started) worker = undefined;
      failAll(`Config worker failed: ${event.message}`);
    };
    return started;
  }

  return {
    async read(dir) {
      worker ??= start();
      const id = nextId++;
      const snapshot = await new Promise<WorkerSnapshot>((resolve) => {
        pending.set(id, resolve);
        worker!.postMessage({ id, dir, caps, compile: deps.compile });
      });
      if (snapshot.ok) {
        if ("compiled" in snapshot) {
          return { ok: true, objects: [], compiled: fromPlain(snapshot.compiled) };
        }
        if ("authz" in snapshot) {
          return { ok: true, objects: [], authz: authzFromPlain(snapshot.authz) };
        }
        return { ok: true, objects: snapshot.objects };
      }
      if (snapshot.refused !== undefined) {
        const { reason, file, bytes, cap } = snapshot.refused;
        refused.set(reason, (refused.get(reason) ?? 0) + 1);
        deps.log.error("Refused config by size; keeping the last good one", {
          reason,
          file,
          bytes,
          cap,
        });
      }
      return { ok: false, error: snapshot.error };
    },
    renderMetrics() {
      return [
        "# HELP apigw_config_refused_total Config snapshots refused by a size cap, unread",
        "# TYPE apigw_config_refused_total counter",
        ...[...refused].map(([reason, n]) => `apigw_config_refused_total{reason="${reason}"} ${n}`),
      ].join("\n") + "\n";
    },
    close() {
      worker?.terminate();
      worker = undefined;
      failAll("Config reader closed");
    },
  };
}
