/**
 * The pieces of the collector tests: the collector (tests/otel/build.ts) on a free port writing
 * what it receives to JSON-lines files, an apigw command as its own process exporting to it
 * (`OTEL_DENO=true` must be set when Deno starts), and readers of the collector's files.
 */
import { stringify } from "yaml";
import { poll } from "../poll.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind?: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
  links?: { traceId: string; spanId: string }[];
}

export interface Collector extends AsyncDisposable {
  endpoint: string;
  spans(): Promise<OtlpSpan[]>;
  logRecords(): Promise<number>;
}

/** Starts the collector binary with an OTLP/HTTP receiver and file exporters in `dir`. */
export async function startCollector(binary: string, dir: string): Promise<Collector> {
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/collector.yaml`,
    stringify({
      receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${port}` } } } },
      exporters: {
        "file/traces": { path: `${dir}/traces.jsonl`, flush_interval: "100ms" },
        "file/logs": { path: `${dir}/logs.jsonl`, flush_interval: "100ms" },
      },
      service: {
        pipelines: {
          traces: { receivers: ["otlp"], exporters: ["file/traces"] },
          logs: { receivers: ["otlp"], exporters: ["file/logs"] },
        },
      },
    }),
  );
  const child = new Deno.Command(binary, {
    args: ["--config", `file:${dir}/collector.yaml`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  try {
    await poll(async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    }, { what: "the collector to listen", timeoutMs: 30_000 });
  } catch (error) {
    child.kill("SIGTERM");
    const { stderr } = await output;
    throw new Error(`The collector did not start:\n${new TextDecoder().decode(stderr)}`, {
      cause: error,
    });
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => readSpans(`${dir}/traces.jsonl`),
    logRecords: () => countLogRecords(`${dir}/logs.jsonl`),
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await output;
    },
  };
}

export interface ApigwProcess {
  /** The fields of the startup line (`listen`, `management`). */
  started: Record<string, string>;
  lines: string[];
  /** SIGTERM; resolves with the exit code once the process (and its export) ended. */
  stop(): Promise<number>;
}

/** Runs `apigw <args>` in its own Deno process with `env`, until it logs `startedMessage`. */
export async function startApigw(
  args: string[],
  env: Record<string, string>,
  startedMessage: string,
): Promise<ApigwProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
    }
  })();
  let stopped: Promise<number> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const status = await child.status;
      await reading;
      return status.code;
    })();
    return stopped;
  };
  try {
    const started = await poll(() => {
      for (const line of lines) {
        const entry = JSON.parse(line);
        if (entry.msg === startedMessage) return entry as Record<string, string>;
      }
      return undefined;
    }, { what: `"${startedMessage}"`, timeoutMs: 30_000 });
    return { started, lines, stop };
  } catch (error) {
    await stop();
    throw new Error(`apigw ${args[0]} did not start:\n${lines.join("\n")}`, { cause: error });
  }
}

/** The value of attribute `key` of `span`. */
export function attribute(span: OtlpSpan, key: string): unknown {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
}

/** A fresh W3C trace id and span id. */
export function ids(): { trace: string; span: string } {
  const hex = (bytes: number) =>
    Array.from(
      crypto.getRandomValues(new Uint8Array(bytes)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
  return { trace: hex(16), span: hex(8) };
}

export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

async function readSpans(path: string): Promise<OtlpSpan[]> {
  const spans: OtlpSpan[] = [];
  for (const line of await readLines(path)) {
    for (const resource of JSON.parse(line).resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) spans.push(...(scope.spans ?? []));
    }
  }
  return spans;
}

async function countLogRecords(path: string): Promise<number> {
  let count = 0;
  for (const line of await readLines(path)) {
    for (const resource of JSON.parse(line).resourceLogs ?? []) {
      for (const scope of resource.scopeLogs ?? []) count += scope.logRecords?.length ?? 0;
    }
  }
  return count;
}

async function readLines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter(Boolean);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}
