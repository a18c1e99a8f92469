/** Child processes that log to a file and are stopped by their recorded PID. */
import { PortInUseError, showsPortInUse } from "./_ports.ts";

export interface LoggedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Set once the process has exited; `undefined` while it runs. */
  exitCode(): number | undefined;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number>;
}

const children = new Map<LoggedProcess, Deno.ChildProcess>();

/**
 * Starts `binary` with stdout and stderr appended to `logPath`.
 *
 * `sh` sets up the redirect and then `exec`s the binary, so the PID is the binary's own and no
 * pipe is ever left unread.
 */
export function spawnLogged(
  name: string,
  binary: string,
  options: { args: string[]; logPath: string },
): LoggedProcess {
  const child = new Deno.Command("sh", {
    args: ["-c", 'exec "$@" >>"$APIGW_LOG_PATH" 2>&1', "sh", binary, ...options.args],
    env: { APIGW_LOG_PATH: options.logPath },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let code: number | undefined;
  const exited = child.status.then((status) => (code = status.code));
  const handle: LoggedProcess = {
    name,
    pid: child.pid,
    logPath: options.logPath,
    exitCode: () => code,
    exited,
  };
  children.set(handle, child);
  return handle;
}

/** A signal that aborts when `proc` exits, for `poll({ signal })`. */
export function exitSignal(proc: LoggedProcess): AbortSignal {
  const controller = new AbortController();
  proc.exited.then((code) => {
    controller.abort(new Error(`${proc.name} exited with code ${code}`));
  });
  return controller.signal;
}

/** Sends SIGTERM, then SIGKILL after `graceMs` (20 s, as envtest), and waits for the exit. */
export async function stopProcess(proc: LoggedProcess, graceMs = 20_000): Promise<void> {
  const child = children.get(proc);
  if (child === undefined) return;
  if (proc.exitCode() === undefined) {
    signal(child, "SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), graceMs);
    });
    const outcome = await Promise.race([proc.exited, timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") signal(child, "SIGKILL");
  }
  await proc.exited;
  children.delete(proc);
}

/** Stops every process started here that still runs, e.g. on SIGTERM in the middle of a start. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...children.keys()].map((proc) => stopProcess(proc)));
}

/** The last `lines` lines of a log file, or a note when it cannot be read. */
export async function logTail(path: string, lines = 50): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch (error) {
    return `(cannot read ${path}: ${error instanceof Error ? error.message : String(error)})`;
  }
}

function signal(child: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    child.kill(name);
  } catch (error) {
    // Exited between the check and the kill: nothing left to stop.
    if (!(error instanceof TypeError)) throw error;
  }
}

/** Throws the start error with the log's tail, as `PortInUseError` when a port was taken. */
export async function failStart(process: LoggedProcess, error: unknown): Promise<never> {
  const tail = await logTail(process.logPath);
  const message = `Cannot start ${process.name} (log ${process.logPath})`;
  if (showsPortInUse(tail)) throw new PortInUseError(`${message}: address already in use`);
  const reason = error instanceof Error ? error.message : String(error);
  throw new Error(`${message}: ${reason}\n--- last lines of ${process.logPath} ---\n${tail}`, {
    cause: error,
  });
}
