/**
 * The front ends the case table (`cases.ts`) runs through, each a real `apigw` child process
 * (`deno run main.ts authz|serve`, the CLI being the interface least likely to move) on free
 * loopback ports over one config folder, and a runner that sends a case as raw HTTP/1.1 bytes
 * (so repeated headers and query spellings reach the listener as written) and reads the answer:
 * its status, and the reason from the problem body of a deny or from `x-apigw-decision`. The
 * gRPC ext_authz listener of the same `apigw authz` gets each case as the CheckRequest Envoy
 * fills (grpc-js client, the committed protoset): its status and reason come from the
 * CheckResponse (`denied_response.status`, `dynamic_metadata.reason`).
 */
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { stringify } from "yaml";
import { poll } from "../poll.ts";
import type { Case } from "./cases.ts";
import { collectJsonLines } from "../json_log.ts";

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
 * `apigw authz --config dir --grpc-listen …`: each case is the check request Envoy's HTTP
 * ext_authz filter sends (docs/spec/dataplane.md §1.2): the original method, `path_prefix` + the original
 * target, the original `Host` and headers, no body (`content-length: 0`). `grpc(form)` sends
 * the same cases to the gRPC listener of the same process, headers in `form`.
 */
export async function startAuthzFrontEnd(
  dir: string,
  args: string[] = [],
): Promise<FrontEnd & { grpc: (form: HeaderForm) => FrontEnd }> {
  const child = await spawn("authz", "Serving ext_authz", [
    "--config",
    dir,
    "--path-prefix",
    "/ext-authz",
    "--debug-header",
    "--grpc-listen",
    "127.0.0.1:0",
    ...args,
  ]);
  let client: GrpcCheckClient;
  try {
    client = await grpcCheckClient(String(child.serving.grpc));
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    logs: child.logs,
    send: (c, tokens) =>
      exchange(child.port, { ...c, target: `/ext-authz${c.target}` }, tokens, "content-length: 0"),
    grpc: (form) => ({
      logs: child.logs,
      send: (c, tokens) => grpcExchange(client, c, tokens, form),
      [Symbol.asyncDispose]: async () => {},
    }),
    [Symbol.asyncDispose]: async () => {
      client.close();
      await child.stop();
    },
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
  /** The log line saying the process serves (its listeners). */
  serving: Record<string, unknown>;
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
  const reading = collectJsonLines(child.stderr, logs);
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
    return { port: Number(/:(\d+)$/.exec(String(serving.listen))![1]), serving, logs, stop };
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

type GrpcCheckClient = grpc.Client & {
  Check(
    request: unknown,
    options: grpc.CallOptions,
    done: (error: grpc.ServiceError | null, response?: CheckResponse) => void,
  ): void;
};

interface CheckResponse {
  status?: { code?: number };
  denied_response?: { status?: { code?: string } };
  dynamic_metadata?: { fields?: { key: string; value: { string_value?: string } }[] };
}

/** A grpc-js client of `envoy.service.auth.v3.Authorization` from the committed protoset. */
async function grpcCheckClient(address: string): Promise<GrpcCheckClient> {
  const definitions = loadFileDescriptorSetFromBuffer(
    Buffer.from(await Deno.readFile(new URL("proxy/grpc/envoy.protoset", REPO))),
    { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true },
  );
  // deno-lint-ignore no-explicit-any
  const loaded: any = grpc.loadPackageDefinition(definitions);
  return new loaded.envoy.service.auth.v3.Authorization(
    address,
    grpc.credentials.createInsecure(),
  );
}

/** HTTP status numbers of `envoy.type.v3.StatusCode` names the table meets. */
const STATUS_NUMBERS: Readonly<Record<string, number>> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  PayloadTooLarge: 413,
  URITooLong: 414,
  TooManyRequests: 429,
  RequestHeaderFieldsTooLarge: 431,
  InternalServerError: 500,
  ServiceUnavailable: 503,
};

/** `CheckResponse.status.code` per HTTP status (google.rpc.Code); other 4xx: INVALID_ARGUMENT. */
const GRPC_CODES: Readonly<Record<number, number>> = {
  200: 0,
  401: 16,
  403: 7,
  404: 7,
  429: 8,
  500: 13,
  503: 14,
};

/**
 * How Envoy encodes the headers of a check: `header_map` with one entry per line
 * (`encode_raw_headers: true`), or the `headers` map with repeated names comma-joined (the
 * default).
 */
export type HeaderForm = "header_map" | "headers";

/** The `headers` map as Envoy fills it: one entry per name, repeats joined with ",". */
function joined(lines: [string, string][]): { key: string; value: string }[] {
  const map = new Map<string, string>();
  for (const [key, value] of lines) {
    const before = map.get(key);
    map.set(key, before === undefined ? value : `${before},${value}`);
  }
  return [...map].map(([key, value]) => ({ key, value }));
}

/**
 * One Check as Envoy's ext_authz filter fills it, the workload as the destination and the client
 * as the source, both the loopback address the HTTP check's peer is.
 */
function grpcExchange(
  client: GrpcCheckClient,
  c: Case,
  tokens: Readonly<Record<string, string>>,
  form: HeaderForm,
): Promise<Observed> {
  const path = fill(c.target, tokens);
  const lines = [
    [":authority", c.host],
    [":method", c.method ?? "GET"],
    [":path", path],
    ...(c.headers ?? []).map(([name, value]) => [name.toLowerCase(), fill(value, tokens)]),
  ] as [string, string][];
  const request = {
    attributes: {
      source: { address: { socket_address: { address: "127.0.0.1", port_value: 50000 } } },
      destination: { address: { socket_address: { address: "127.0.0.1", port_value: 8080 } } },
      request: {
        http: {
          id: crypto.randomUUID(),
          method: c.method ?? "GET",
          host: c.host,
          path,
          scheme: "https",
          protocol: "HTTP/1.1",
          ...(form === "header_map"
            ? {
              header_map: {
                headers: lines.map(([key, value]) => ({
                  key,
                  raw_value: new TextEncoder().encode(value),
                })),
              },
            }
            : { headers: joined(lines) }),
        },
      },
    },
  };
  return new Promise((resolve, reject) =>
    client.Check(request, { deadline: Date.now() + 30_000 }, (error, response) => {
      if (error !== null || response === undefined) {
        reject(new Error(`Check failed: ${error?.code} ${error?.details}`));
        return;
      }
      const reason = response.dynamic_metadata?.fields?.find((f) => f.key === "reason")?.value
        .string_value;
      const denied = response.denied_response?.status?.code;
      const status = denied === undefined ? 200 : STATUS_NUMBERS[denied] ?? 0;
      // The table: the CheckResponse's own code follows the HTTP status.
      const code = response.status?.code ?? 0;
      const want = GRPC_CODES[status] ?? 3;
      if (code !== want) {
        reject(new Error(`CheckResponse.status.code ${code} for HTTP ${status}, want ${want}`));
        return;
      }
      resolve({
        status,
        reason,
        upstream: false,
        head: `grpc-status ${response.status?.code ?? 0}, ${JSON.stringify(response)}`,
      });
    })
  );
}
