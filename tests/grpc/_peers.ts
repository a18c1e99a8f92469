/**
 * What the gRPC tests share: `apigw authz --rls-listen` or `--grpc-listen` as a child process,
 * and the built peers (Go client, grpcurl, envoyproxy/ratelimit) run as processes.
 */
import { freePort } from "../cluster/_ports.ts";
import { poll } from "../poll.ts";
import { collectJsonLines } from "../json_log.ts";

const REPO = new URL("../../", import.meta.url);
export const PROTOSET = new URL("../../proxy/grpc/envoy.protoset", import.meta.url).pathname;

export interface RlsProcess extends AsyncDisposable {
  /** `host:port` of the gRPC listener. */
  address: string;
  /** The management listener's `/metrics` text. */
  metrics(): Promise<string>;
  logs: Record<string, unknown>[];
  /** Whether the process still runs. */
  running(): boolean;
}

/**
 * Starts `apigw authz --rls-listen 127.0.0.1:0 --rls-config DIR …args` (a `{ args }` source:
 * those arguments instead of `--rls-config`) and waits until it serves.
 */
export async function startRls(
  config: string | { args: string[] },
  args: string[] = [],
): Promise<RlsProcess> {
  const source = typeof config === "string" ? ["--rls-config", config] : config.args;
  const rules = await Deno.makeTempDir({ prefix: "apigw-rls-rules-" });
  return await spawnAuthz(
    ["--config", rules, "--rls-listen", "127.0.0.1:0", ...source, ...args],
    "rls",
    () => Deno.remove(rules, { recursive: true }),
  );
}

/**
 * Starts `apigw authz --config DIR --grpc-listen 127.0.0.1:0 …args` (gRPC ext_authz) and waits
 * until it serves; `address` is the gRPC listener.
 */
export function startGrpcAuthz(config: string, args: string[] = []): Promise<RlsProcess> {
  return spawnAuthz(
    ["--config", config, "--grpc-listen", "127.0.0.1:0", ...args],
    "grpc",
    () => Promise.resolve(),
  );
}

async function spawnAuthz(
  args: string[],
  listener: "rls" | "grpc",
  cleanup: () => Promise<void>,
): Promise<RlsProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "authz",
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
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const logs: Record<string, unknown>[] = [];
  const reading = collectJsonLines(child.stderr, logs);
  const stop = async () => {
    if (!exited) child.kill("SIGTERM");
    await status;
    await reading;
    await cleanup();
  };
  try {
    const serving = await poll(() => {
      if (exited) throw new Error("apigw authz exited");
      return logs.find((l) => l.msg === "Serving ext_authz");
    }, { timeoutMs: 60_000, what: `apigw authz --${listener}-listen to listen`, intervalMs: 50 });
    return {
      address: String(serving[listener]),
      metrics: () => fetch(`http://${serving.management}/metrics`).then((r) => r.text()),
      logs,
      running: () => !exited,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`apigw authz did not start: ${JSON.stringify(logs.slice(-5))}`, {
      cause: error,
    });
  }
}

/** One answer of the Go client: the response as protojson, or a gRPC error. */
export interface ClientResult {
  // deno-lint-ignore no-explicit-any
  response?: Record<string, any> & {
    overallCode?: string;
    statuses?: {
      code?: string;
      currentLimit?: { requestsPerUnit?: number; unit?: string; name?: string };
      limitRemaining?: number;
      durationUntilReset?: string;
    }[];
    responseHeadersToAdd?: { key: string; value: string }[];
  };
  code?: string;
  message?: string;
}

/**
 * Sends `requests` (protojson values) in order with the Go client; one result each. With
 * `authz` they are CheckRequests to the gRPC ext_authz service.
 */
export async function goClient(
  binary: string,
  address: string,
  requests: readonly unknown[],
  options: { authz?: boolean } = {},
): Promise<ClientResult[]> {
  const child = new Deno.Command(binary, {
    args: options.authz ? ["-authz", address] : [address],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(requests.map((r) => JSON.stringify(r)).join("\n")));
  await writer.close();
  const output = await child.output();
  if (!output.success) {
    throw new Error(`rlsclient failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return new TextDecoder().decode(output.stdout).trim().split("\n").filter((l) => l !== "")
    .map((line) => JSON.parse(line));
}

/** Runs a peer binary to its end; its stdout, or a thrown error with its stderr. */
export async function runPeer(binary: string, args: string[]): Promise<{
  success: boolean;
  stdout: string;
  stderr: string;
}> {
  const output = await new Deno.Command(binary, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return {
    success: output.success,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** Waits until the wall clock is ≥ `marginS` s from both edges of its minute (fixed windows). */
export async function awayFromMinuteEdge(marginS = 5): Promise<void> {
  const intoMinute = (Date.now() / 1000) % 60;
  if (intoMinute < marginS || intoMinute > 60 - marginS) {
    const waitMs = ((60 - intoMinute + marginS) % 60) * 1000;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

/**
 * envoyproxy/ratelimit (`binary`) on loopback ports, counting in the Redis at `redis`, with its
 * config under `root/ratelimit/config` and its log in `root/service.log`; `env` adds or overrides
 * its settings (its defaults otherwise: Redis pool of 10, writes flushed at once, no local cache,
 * no stats sink). Resolves once `probe` is answered OK; the caller owns `root`.
 */
export async function startEnvoyRatelimit(
  binary: string,
  options: {
    redis: { hostname: string; port: number };
    root: string;
    env?: Record<string, string>;
    probe(address: string): Promise<ClientResult[]>;
  },
): Promise<{ address: string } & AsyncDisposable> {
  const [grpc, http, debug] = [freePort(), freePort(), freePort()];
  const logPath = `${options.root}/service.log`;
  // sh sets up the redirect and execs the service: its log goes to a file, no pipe to drain.
  const child = new Deno.Command("sh", {
    args: ["-c", 'exec "$0" >>"$APIGW_LOG_PATH" 2>&1', binary],
    env: {
      APIGW_LOG_PATH: logPath,
      USE_STATSD: "false",
      LOG_LEVEL: "warn",
      REDIS_SOCKET_TYPE: "tcp",
      REDIS_URL: `${options.redis.hostname}:${options.redis.port}`,
      RUNTIME_ROOT: options.root,
      RUNTIME_SUBDIRECTORY: "ratelimit",
      RUNTIME_WATCH_ROOT: "false",
      GRPC_PORT: String(grpc),
      PORT: String(http),
      DEBUG_PORT: String(debug),
      GRPC_HOST: "127.0.0.1",
      HOST: "127.0.0.1",
      DEBUG_HOST: "127.0.0.1",
      ...options.env,
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
  };
  const address = `127.0.0.1:${grpc}`;
  try {
    await poll(async () => {
      const [result] = await options.probe(address);
      return result?.response?.overallCode === "OK" ? true : undefined;
    }, { timeoutMs: 30_000, what: "envoyproxy/ratelimit to serve its config" });
  } catch (error) {
    await stop();
    const log = await Deno.readTextFile(logPath).catch(() => "");
    throw new Error(`envoyproxy/ratelimit did not start: ${log}`, { cause: error });
  }
  return { address, [Symbol.asyncDispose]: stop };
}
