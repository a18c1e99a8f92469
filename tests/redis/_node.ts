/**
 * What the cluster and Sentinel starters share: a redis-server (or sentinel) process on a
 * loopback port, `redis-cli` calls, and a SIGKILL that stands for a crashed node.
 */
import { poll } from "../poll.ts";
import {
  exitSignal,
  failStart,
  type LoggedProcess,
  spawnLogged,
  stopProcess,
} from "../cluster/_process.ts";

export interface RedisNodeProcess {
  readonly port: number;
  readonly process: LoggedProcess;
}

/** Starts `redis-server ...args` on `port` (args name the port) and waits for PING. */
export async function startNode(
  name: string,
  port: number,
  args: string[],
  options: { logPath: string; password?: string | undefined },
): Promise<RedisNodeProcess> {
  const process = spawnLogged(name, "redis-server", { args, logPath: options.logPath });
  try {
    await poll(
      async () => (await redisCli(port, ["PING"], options.password)).trim() === "PONG" || undefined,
      { timeoutMs: 15_000, what: `${name} PING`, signal: exitSignal(process) },
    );
  } catch (error) {
    await stopProcess(process, 2_000);
    return failStart(process, error);
  }
  return { port, process };
}

/** `redis-cli -p port args…`; its stdout (empty when the node does not answer). */
export async function redisCli(
  port: number,
  args: string[],
  password?: string,
): Promise<string> {
  const auth = password === undefined ? [] : ["--no-auth-warning", "-a", password];
  try {
    const out = await new Deno.Command("redis-cli", {
      args: ["-h", "127.0.0.1", "-p", String(port), ...auth, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout);
  } catch {
    return "";
  }
}

/** SIGKILL: the node dies without a word to its peers, as a crashed machine. */
export async function killNode(node: RedisNodeProcess): Promise<void> {
  if (node.process.exitCode() === undefined) Deno.kill(node.process.pid, "SIGKILL");
  await stopProcess(node.process);
}

/** The `field:value` lines of an INFO or CLUSTER INFO reply. */
export function infoField(text: string, field: string): string | undefined {
  const line = text.split(/\r?\n/).find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}
