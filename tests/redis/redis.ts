/** A private redis-server for the tests: installed from Debian when missing, on a free port. */
import { poll } from "../poll.ts";
import { freePort, retryOnPortInUse } from "../cluster/_ports.ts";
import {
  exitSignal,
  failStart,
  type LoggedProcess,
  spawnLogged,
  stopProcess,
} from "../cluster/_process.ts";

export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Installs Debian's `redis-server` unless it is already on PATH. */
export async function ensureRedisInstalled(log: (line: string) => void): Promise<void> {
  if (await runs("redis-server", ["--version"])) return;
  log("redis-server is not on PATH: installing it from Debian");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "redis-server"]]) {
    log(`$ apt-get ${args.join(" ")}`);
    const result = await new Deno.Command("apt-get", { args, env, stdin: "null" }).output();
    if (!result.success) {
      const tail = new TextDecoder().decode(result.stderr).trimEnd().split("\n").slice(-20);
      throw new Error(
        `Cannot install redis-server: apt-get ${args[0]} failed:\n${tail.join("\n")}`,
      );
    }
  }
  log("Installed redis-server");
}

/**
 * Starts redis-server on a free loopback port (or on `port`, e.g. to restart a stopped one),
 * without persistence, and waits for PING.
 */
export async function startRedis(
  options: { port?: number; args?: string[] } = {},
): Promise<TestRedis> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-redis-" });
  try {
    const { port } = options;
    return await (port === undefined
      ? retryOnPortInUse(() => startOn(freePort(), dir, options.args ?? []))
      : startOn(port, dir, options.args ?? []));
  } catch (error) {
    console.error(`Kept ${dir} for inspection`);
    throw error;
  }
}

async function startOn(port: number, dir: string, extra: string[]): Promise<TestRedis> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  args.push("--daemonize", "no", "--dir", dir, ...extra);
  const process = spawnLogged("redis-server", "redis-server", {
    args,
    logPath: `${dir}/redis.log`,
  });
  try {
    await poll(() => pong(port), {
      timeoutMs: 10_000,
      what: "redis PING",
      signal: exitSignal(process),
    });
  } catch (error) {
    await stopProcess(process);
    return failStart(process, error);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => stop(process, dir),
  };
}

async function stop(process: LoggedProcess, dir: string): Promise<void> {
  await stopProcess(process, 5_000);
  await Deno.remove(dir, { recursive: true });
}

/** `true` once the server answers `+PONG` (or `-NOAUTH`) on a fresh connection. */
async function pong(port: number): Promise<true | undefined> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(64);
    const read = await conn.read(buffer);
    const reply = new TextDecoder().decode(buffer.subarray(0, read ?? 0));
    // A server with `--requirepass` answers, asking for the password.
    return reply.startsWith("+PONG") || reply.startsWith("-NOAUTH") ? true : undefined;
  } finally {
    conn.close();
  }
}

async function runs(command: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}
