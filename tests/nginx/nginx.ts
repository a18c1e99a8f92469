/**
 * A private nginx for the interop tests: Debian's package, installed with apt-get when missing
 * (like redis-server), started with a generated config on free loopback ports, stopped after.
 */
import { poll } from "../poll.ts";
import { freePort, PortInUseError, retryOnPortInUse, showsPortInUse } from "../cluster/_ports.ts";
import { exitSignal, logTail, spawnLogged, stopProcess } from "../cluster/_process.ts";

export interface TestNginx extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Installs Debian's nginx (with the auth_request module) unless `nginx` is on PATH. */
export async function ensureNginxInstalled(log: (line: string) => void): Promise<void> {
  if (await runs("nginx", ["-v"])) return;
  log("nginx is not on PATH: installing it from Debian");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "nginx"]]) {
    log(`$ apt-get ${args.join(" ")}`);
    const result = await new Deno.Command("apt-get", { args, env, stdin: "null" }).output();
    if (!result.success) {
      const tail = new TextDecoder().decode(result.stderr).trimEnd().split("\n").slice(-20);
      throw new Error(`Cannot install nginx: apt-get ${args[0]} failed:\n${tail.join("\n")}`);
    }
  }
  log("Installed nginx");
}

/**
 * Starts nginx with the `http {}` body `server(port)` returns for a free port, and waits until
 * the port accepts connections. Logs and temp files live in a fresh directory.
 */
export async function startNginx(server: (port: number) => string): Promise<TestNginx> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-nginx-" });
  try {
    return await retryOnPortInUse(() => startOn(freePort(), dir, server));
  } catch (error) {
    console.error(`Kept ${dir} for inspection`);
    throw error;
  }
}

async function startOn(
  port: number,
  dir: string,
  server: (port: number) => string,
): Promise<TestNginx> {
  await Deno.mkdir(`${dir}/tmp`, { recursive: true });
  const config = [
    "daemon off;",
    // Workers of a root master would run as nobody and could not use the private temp dir.
    Deno.uid() === 0 ? "user root;" : "",
    "worker_processes 1;",
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    "events { worker_connections 256; }",
    "http {",
    `  access_log ${dir}/access.log;`,
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) =>
      `  ${t}_temp_path ${dir}/tmp/${t};`
    ),
    server(port),
    "}",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/nginx.conf`, config);
  const process = spawnLogged("nginx", "nginx", {
    args: ["-p", dir, "-e", `${dir}/error.log`, "-c", `${dir}/nginx.conf`],
    logPath: `${dir}/stdout.log`,
  });
  try {
    await poll(() => accepts(port), {
      timeoutMs: 10_000,
      what: "nginx to listen",
      signal: exitSignal(process),
    });
  } catch (error) {
    await stopProcess(process, 5_000);
    const log = await logTail(`${dir}/error.log`);
    if (showsPortInUse(log)) throw new PortInUseError(`nginx lost port ${port}`);
    throw new Error(
      `nginx did not start: ${error instanceof Error ? error.message : error}\n${log}`,
    );
  }
  const stop = async () => {
    await stopProcess(process, 5_000);
    await Deno.remove(dir, { recursive: true });
  };
  return { url: `http://127.0.0.1:${port}`, port, stop, [Symbol.asyncDispose]: stop };
}

async function accepts(port: number): Promise<true | undefined> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.close();
  return true;
}

async function runs(command: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}
