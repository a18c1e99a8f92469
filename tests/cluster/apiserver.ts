/** kube-apiserver for the test control plane: flags (spec §3.2) and readiness (spec §3.7). */
import { poll } from "../poll.ts";
import { kubeRequest } from "./kube_request.ts";
import { exitSignal, failStart, type LoggedProcess, spawnLogged, stopProcess } from "./_process.ts";

export interface ApiserverConfig {
  readonly binary: string;
  readonly runDir: string;
  readonly port: number;
  readonly etcdUrl: string;
  readonly token: string;
}

export interface Apiserver {
  readonly process: LoggedProcess;
  /** Contents of `<runDir>/pki/apiserver.crt`: the serving cert followed by its CA. */
  readonly caPem: string;
}

/** Starts kube-apiserver and waits for `/readyz` (60 s) and namespace `default`. */
export async function startApiserver(config: ApiserverConfig): Promise<Apiserver> {
  const { runDir, port } = config;
  const url = `https://127.0.0.1:${port}`;
  const args = [
    `--etcd-servers=${config.etcdUrl}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    // Without it the apiserver looks for a default route and refuses to start on hosts without one.
    "--advertise-address=127.0.0.1",
    // Loopback endpoints fail validation; no test needs default/kubernetes endpoints.
    "--endpoint-reconciler-type=none",
    `--cert-dir=${runDir}/pki`,
    "--service-cluster-ip-range=10.0.0.0/24",
    `--service-account-issuer=${url}`,
    `--service-account-key-file=${runDir}/sa.key`,
    `--service-account-signing-key-file=${runDir}/sa.key`,
    `--token-auth-file=${runDir}/tokens.csv`,
    "--authorization-mode=RBAC",
    // No controller manager, so no default ServiceAccount to admit pods with (as envtest).
    "--disable-admission-plugins=ServiceAccount",
    "--allow-privileged=true",
    "--profiling=false",
    "--v=1",
  ];
  const process = spawnLogged("kube-apiserver", config.binary, {
    args,
    logPath: `${runDir}/kube-apiserver.log`,
  });
  try {
    const signal = exitSignal(process);
    const caPem = await poll(() => ready(url, config), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: "kube-apiserver /readyz",
      signal,
    });
    await poll(() => namespaceExists(url, config.token, caPem, "default"), {
      timeoutMs: 15_000,
      what: 'namespace "default"',
      signal,
    });
    return { process, caPem };
  } catch (error) {
    await stopProcess(process);
    return failStart(process, error);
  }
}

/** The CA bundle once `/readyz` answers 200; connection refused, 403 and 500 mean "not yet". */
async function ready(url: string, config: ApiserverConfig): Promise<string | undefined> {
  let caPem: string;
  try {
    caPem = await Deno.readTextFile(`${config.runDir}/pki/apiserver.crt`);
  } catch {
    return undefined; // The apiserver writes its self-signed cert early in its start.
  }
  const response = await kubeRequest({ url, token: config.token, caPem }, "GET", "/readyz");
  return response.status === 200 ? caPem : undefined;
}

async function namespaceExists(
  url: string,
  token: string,
  caPem: string,
  name: string,
): Promise<true | undefined> {
  const response = await kubeRequest({ url, token, caPem }, "GET", `/api/v1/namespaces/${name}`);
  return response.status === 200 ? true : undefined;
}
