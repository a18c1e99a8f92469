/**
 * The front ends the case table (`cases.ts`) runs through, each a real `apigw` child process
 * (`deno run main.ts authz|serve`, the CLI being the interface least likely to move) on free
 * loopback ports over one config folder, and a runner that sends a case as raw HTTP/1.1 bytes
 * (so repeated headers and query spellings reach the listener as written) and reads the answer:
 * its status, and the reason from the problem body of a deny or from `x-apigw-decision`.
 */
import { stringify } from "yaml";
import { poll } from "../poll.ts";
import type { Case } from "./cases.ts";

const REPO = new URL("../../", import.meta.url);

export interface Observed {
  status: number;
  reason: string | undefined;
  /** Whether the upstream answered (serve): its marker header was on the response. */
  upstream: boolean;
  /** The raw head, for failure messages. */
  head: string;
}

export interface FrontEnd extends AsyncDisposable {
  /** Sends one case; `tokens` fills `{{name}}` placeholders. */
  send(c: Case, tokens: Readonly<Record<string, string>>): Promise<Observed>;
  logs: Record<string, unknown>[];
}

/** A folder with `objects` as one YAML file, removed when disposed. */
export async function configFolder(objects: unknown[]): Promise<AsyncDisposable & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-dataplane-" });
  await Deno.writeTextFile(`${dir}/objects.yaml`, objects.map((o) => stringify(o)).join("---\n"));
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/**
 * `apigw authz --config dir`: each case is the check request Envoy's HTTP ext_authz filter
 * sends (dataplane.md §1.2): the original method, `path_prefix` + the original target, the
 * original `Host` and headers, no body (`content-length: 0`).
 */
export async function startAuthzFrontEnd(dir: string, args: string[] = []): Promise<FrontEnd> {
  const child = await spawn("authz", "Serving ext_authz", [
    "--config",
    dir,
    "--path-prefix",
    "/ext-authz",
    "--debug-header",
    ...args,
  ]);
  return {
    logs: child.logs,
    send: (c, tokens) =>
      exchange(child.port, { ...c, target: `/ext-authz${c.target}` }, tokens, "content-length: 0"),
    [Symbol.asyncDispose]: child.stop,
  };
}

/** `apigw serve --config dir`: each case is the client's request to the gateway. */
export async function startServeFrontEnd(dir: string, args: string[] = []): Promise<FrontEnd> {
  const child = await spawn("serve", "Serving gateway", [
    "--config",
    dir,
    "--debug-header",
    "--state-dir",
    `${dir}/.state`,
    ...args,
  ]);
  return {
    logs: child.logs,
    send: (c, tokens) => exchange(child.port, c, tokens),
    [Symbol.asyncDispose]: child.stop,
  };
}

/** The marker header the test upstream sets on every answer. */
export const UPSTREAM_MARKER = "x-test-upstream";

/** An upstream answering 200 with the marker header to anything. */
export function startUpstream(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok", { headers: { [UPSTREAM_MARKER]: "yes" } }),
  );
}

interface Child {
  port: number;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

async function spawn(command: string, ready: string, args: string[]): Promise<Child> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      command,
      "--listen",
      "127.0.0.1:0",
      "--management-listen",
      "127.0.0.1:0",
      ...args,
    ],
    cwd: REPO,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const logs: Record<string, unknown>[] = [];
  const reading = (async () => {
    let buffer = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        try {
          logs.push(JSON.parse(line));
        } catch {
          logs.push({ msg: line });
        }
      }
    }
  })();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stop = async () => {
    if (!exited) child.kill("SIGTERM");
    await status;
    await reading;
  };
  try {
    const serving = await poll(() => {
      if (exited) throw new Error(`apigw ${command} exited`);
      return logs.find((l) => l.msg === ready);
    }, { timeoutMs: 90_000, what: `apigw ${command} to listen`, intervalMs: 50 });
    return { port: Number(/:(\d+)$/.exec(String(serving.listen))![1]), logs, stop };
  } catch (error) {
    await stop();
    throw new Error(`apigw ${command} did not start: ${JSON.stringify(logs.slice(-5))}`, {
      cause: error,
    });
  }
}

/** Fills `{{name}}` with `tokens[name]`; an unknown name is a bug in the table. */
function fill(text: string, tokens: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const token = tokens[name];
    if (token === undefined) throw new RangeError(`The case table names no value "${name}"`);
    return token;
  });
}

/** One raw HTTP/1.1 exchange (`Connection: close`). */
async function exchange(
  port: number,
  c: Case,
  tokens: Readonly<Record<string, string>>,
  ...extra: string[]
): Promise<Observed> {
  const lines = [
    `${c.method ?? "GET"} ${fill(c.target, tokens)} HTTP/1.1`,
    `host: ${c.host}`,
    ...(c.headers ?? []).map(([name, value]) => `${name}: ${fill(value, tokens)}`),
    ...extra,
    "connection: close",
  ];
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let text = "";
  try {
    await conn.write(new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`));
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  } finally {
    conn.close();
  }
  const split = text.indexOf("\r\n\r\n");
  const head = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? "" : text.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
    reason: problemReason(headers, body) ??
      /reason=([a-z_]+)/.exec(headers.get("x-apigw-decision") ?? "")?.[1],
    upstream: headers.get(UPSTREAM_MARKER) === "yes",
    head,
  };
}

/** The `reason` of an `application/problem+json` body (possibly chunked: read past sizes). */
function problemReason(headers: Map<string, string>, body: string): string | undefined {
  if (!(headers.get("content-type") ?? "").startsWith("application/problem+json")) return undefined;
  return /"reason":"([a-z_]+)"/.exec(body)?.[1];
}
