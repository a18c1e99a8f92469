/**
 * The control plane of the cluster benchmarks when `deno task test` is not running one: started
 * the way tests/run.ts starts it (CRDs, the test conversion webhook, the reset control endpoint),
 * with the test variables pointed at it so `testCluster()` finds it.
 */
import { ensureBinaries } from "../tests/cluster/build.ts";
import { serveControl } from "../tests/cluster/control_server.ts";
import { startControlPlane } from "../tests/cluster/controlplane.ts";
import { installCrds, readCrds } from "../tests/cluster/crds.ts";
import { CLUSTER_ENV } from "../tests/cluster/mod.ts";
import { ensureNamespace } from "../tests/cluster/namespaces.ts";
import { resetCluster, takeBaseline } from "../tests/cluster/reset.ts";
import { startTestWebhook, withWebhookConversion } from "../tests/cluster/webhook.ts";
import { stopAllProcesses } from "../tests/cluster/_process.ts";

/** Starts a control plane like `deno task test` does and points the test variables at it. */
export async function ownCluster(): Promise<() => Promise<void>> {
  const binaries = await ensureBinaries(console.log);
  const plane = await startControlPlane({ binaries });
  const client = Deno.createHttpClient({ caCerts: [plane.caPem] });
  const target = { url: plane.url, token: plane.token, caPem: plane.caPem, client };
  const shared = new URL("../tests/fixtures/crds/", import.meta.url);
  const own = new URL("../manifests/crds/", import.meta.url);
  const files = [shared, own].flatMap((dir) =>
    [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".yaml")).map((e) =>
      new URL(e.name, dir)
    )
  );
  const webhook = await startTestWebhook(`${plane.runDir}/webhook.log`);
  await installCrds(target, withWebhookConversion(await readCrds(files), webhook));
  for (const ns of ["kyma-system", "istio-system"]) await ensureNamespace(target, ns);
  let kept = await takeBaseline(target);
  const control = serveControl({
    reset: () => resetCluster(target, kept),
    restartApiserver: async () => void await plane.restartApiserver(),
    keep: async () => void (kept = new Set([...kept, ...await takeBaseline(target)])),
  });
  const env: Record<string, string> = {
    [CLUSTER_ENV.kubeconfig]: plane.kubeconfigPath,
    [CLUSTER_ENV.url]: plane.url,
    [CLUSTER_ENV.token]: plane.token,
    [CLUSTER_ENV.caPath]: `${plane.runDir}/pki/apiserver.crt`,
    [CLUSTER_ENV.runDir]: plane.runDir,
    [CLUSTER_ENV.control]: control.url,
  };
  for (const [name, value] of Object.entries(env)) Deno.env.set(name, value);
  return async () => {
    await control.close();
    await webhook.close();
    client.close();
    await plane.stop();
    await stopAllProcesses();
  };
}
