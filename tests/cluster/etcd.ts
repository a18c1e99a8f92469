/** One throwaway etcd for the test control plane (spec §2.4). */
import { poll } from "../poll.ts";
import { freePort } from "./_ports.ts";
import { exitSignal, failStart, type LoggedProcess, spawnLogged, stopProcess } from "./_process.ts";

export interface Etcd {
  /** `http://127.0.0.1:<client port>` */
  readonly url: string;
  readonly process: LoggedProcess;
}

/** Starts etcd on two free loopback ports with its data in `<runDir>/etcd`, and waits for health. */
export async function startEtcd(binary: string, runDir: string): Promise<Etcd> {
  const url = `http://127.0.0.1:${freePort()}`;
  const args = [
    `--data-dir=${runDir}/etcd`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    // A port of our own, so nothing binds the default :2380.
    `--listen-peer-urls=http://127.0.0.1:${freePort()}`,
    // Test data only; envtest passes it too.
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
  const process = spawnLogged("etcd", binary, { args, logPath: `${runDir}/etcd.log` });
  try {
    await poll(() => healthy(url), {
      timeoutMs: 30_000,
      what: "etcd /health",
      signal: exitSignal(process),
    });
  } catch (error) {
    await stopProcess(process);
    await failStart(process, error);
  }
  return { url, process };
}

async function healthy(url: string): Promise<true | undefined> {
  const response = await fetch(`${url}/health`);
  const body = await response.text();
  return response.ok && body.includes('"health":"true"') ? true : undefined;
}
