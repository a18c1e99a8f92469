/** Runs `apigw authz` in-process through the CLI dispatcher, on free ports, for tests. */
import { runCli } from "../../cli/mod.ts";
import { poll } from "../poll.ts";

export interface RunningAuthz extends AsyncDisposable {
  checkUrl: string;
  managementUrl: string;
  logs: Record<string, unknown>[];
  exitCode: Promise<number>;
  /** Sends the shutdown signal and resolves with the exit code. */
  stop(): Promise<number>;
}

/** Starts `apigw authz` with `args` in-process and waits until it listens. */
export async function startAuthz(args: string[]): Promise<RunningAuthz> {
  const logs: Record<string, unknown>[] = [];
  const stop = new AbortController();
  const exitCode = runCli([
    "authz",
    "--listen",
    "127.0.0.1:0",
    "--management-listen",
    "127.0.0.1:0",
    ...args,
  ], {
    stdout: () => {},
    stderr: (text) => {
      for (const line of text.split("\n").filter(Boolean)) {
        try {
          logs.push(JSON.parse(line));
        } catch {
          logs.push({ msg: line });
        }
      }
    },
    env: () => undefined,
    signal: stop.signal,
  });
  const serving = await poll(
    () => logs.find((l) => l.msg === "Serving ext_authz"),
    { timeoutMs: 10_000, what: "apigw authz to listen", intervalMs: 20 },
  );
  return {
    checkUrl: `http://${serving.listen}`,
    managementUrl: `http://${serving.management}`,
    logs,
    exitCode,
    stop() {
      stop.abort();
      return exitCode;
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      await exitCode;
    },
  };
}
