/**
 * One test control plane: etcd plus kube-apiserver in a private run directory (spec §6.3, §6.5).
 *
 * There is no controller manager, scheduler or kubelet; see spec §4 for what that leaves out.
 */
import { type Apiserver, startApiserver } from "./apiserver.ts";
import type { Binaries } from "./build.ts";
import { type Etcd, startEtcd } from "./etcd.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { adminTokenLine, randomToken, serviceAccountKeyPem } from "./_credentials.ts";
import { freePort, retryOnPortInUse } from "./_ports.ts";
import { logTail, stopProcess } from "./_process.ts";

export interface ControlPlane {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** The admin's bearer token (group `system:masters`). */
  readonly token: string;
  /** CA bundle that verifies the apiserver; it survives restarts. */
  readonly caPem: string;
  readonly kubeconfigPath: string;
  readonly runDir: string;
  /** Stops kube-apiserver and starts it again on the same port, etcd and cert dir. */
  restartApiserver(): Promise<void>;
  /** Stops both processes; keeps the run dir (and prints log tails) if failed or KEEP_CLUSTER=1. */
  stop(options?: { failed?: boolean }): Promise<void>;
}

/** Starts etcd and kube-apiserver and writes `admin.kubeconfig`. */
export async function startControlPlane(options: { binaries: Binaries }): Promise<ControlPlane> {
  const { binaries } = options;
  const runDir = await Deno.makeTempDir({ prefix: "apigw-cluster-" });
  await Deno.chmod(runDir, 0o700);
  await Deno.mkdir(`${runDir}/pki`, { mode: 0o700 });
  await Deno.writeTextFile(`${runDir}/sa.key`, await serviceAccountKeyPem(), { mode: 0o600 });
  const token = randomToken();
  await Deno.writeTextFile(`${runDir}/tokens.csv`, adminTokenLine(token), { mode: 0o600 });

  let etcd: Etcd | undefined;
  let apiserver: Apiserver | undefined;
  let port = 0;
  async function stopAll(): Promise<void> {
    if (apiserver !== undefined) await stopProcess(apiserver.process);
    if (etcd !== undefined) await stopProcess(etcd.process);
  }
  try {
    etcd = await retryOnPortInUse(async () => {
      await Deno.remove(`${runDir}/etcd`, { recursive: true }).catch(() => {});
      return startEtcd(binaries.etcd, runDir);
    });
    const etcdUrl = etcd.url;
    const start = () =>
      startApiserver({ binary: binaries.kubeApiserver, runDir, port, etcdUrl, token });
    apiserver = await retryOnPortInUse(() => {
      port = freePort();
      return start();
    });
    const url = `https://127.0.0.1:${port}`;
    const { caPem } = apiserver;
    const kubeconfigPath = `${runDir}/admin.kubeconfig`;
    await writeKubeconfig(kubeconfigPath, { url, caPem, token, user: "admin" });
    return {
      url,
      token,
      caPem,
      kubeconfigPath,
      runDir,
      async restartApiserver() {
        if (apiserver !== undefined) await stopProcess(apiserver.process);
        apiserver = undefined;
        apiserver = await start();
      },
      async stop(options = {}) {
        await stopAll();
        await cleanUp(runDir, options.failed ?? false);
      },
    };
  } catch (error) {
    await stopAll();
    // The error already carries the tail of the log that explains it.
    console.error(`Kept the cluster run directory ${runDir}`);
    throw error;
  }
}

async function cleanUp(runDir: string, failed: boolean): Promise<void> {
  if (!failed && Deno.env.get("KEEP_CLUSTER") !== "1") {
    await Deno.remove(runDir, { recursive: true });
    return;
  }
  for (const name of ["etcd.log", "kube-apiserver.log"]) {
    console.error(
      `--- last 50 lines of ${runDir}/${name} ---\n${await logTail(`${runDir}/${name}`)}`,
    );
  }
  console.error(`Kept the cluster run directory ${runDir} (KUBECONFIG=${runDir}/admin.kubeconfig)`);
}
