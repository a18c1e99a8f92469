/**
 * THE test command (`deno task test`): installs Redis and builds the cluster binaries when
 * missing, starts Redis and one control plane, installs the CRDs, then runs every `*_test.ts` of
 * the repo with the cluster in the environment and prints `N passed, N failed`. Arguments are
 * passed on to `deno test` (e.g. `deno task test tests/cluster/ --filter reset`).
 */
import { fileURLToPath } from "node:url";
import { ensureBinaries } from "./cluster/build.ts";
import { ensureHydra } from "./hydra/build.ts";
import { ensureGrpcPeers } from "./grpc/build.ts";
import { ensureCollector } from "./otel/build.ts";
import { serveControl } from "./cluster/control_server.ts";
import { type ControlPlane, startControlPlane } from "./cluster/controlplane.ts";
import { installCrds, readCrds } from "./cluster/crds.ts";
import type { KubeTarget } from "./cluster/kube_request.ts";
import { CLUSTER_ENV } from "./cluster/mod.ts";
import { ensureNamespace } from "./cluster/namespaces.ts";
import { resetCluster, takeBaseline } from "./cluster/reset.ts";
import { stopAllProcesses } from "./cluster/_process.ts";
import { ensureRedisInstalled, startRedis } from "./redis/redis.ts";
import { ensureNginxInstalled } from "./nginx/nginx.ts";
import { ensureChromiumInstalled } from "./dashboard/chromium.ts";
import { runDenoTest } from "./test_runner.ts";
import { startTestWebhook, withWebhookConversion } from "./cluster/webhook.ts";
import { type Summary, summaryLine } from "./summary.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Third-party CRDs, copied into the repository by `deno task shared:sync`. */
const FIXTURE_CRDS = fileURLToPath(new URL("fixtures/crds/", import.meta.url));
const RESULTS_DIR = `${ROOT}.test-results`;
/** Namespaces the tests and the operator expect; `default` exists from the start. */
const NAMESPACES = ["kyma-system", "istio-system"];

const cleanups: (() => Promise<void>)[] = [];
const timings: string[] = [];
const resetMs: number[] = [];
let stopping: Promise<void> | undefined;
let killTests: (() => void) | undefined;

async function main(args: readonly string[]): Promise<Summary> {
  const binaries = await timed("build", async () => {
    await ensureRedisInstalled(console.log);
    await ensureNginxInstalled(console.log);
    // Headless Chromium for tests/dashboard/: the test skips, saying why, when apt cannot.
    const chromium = await ensureChromiumInstalled(console.log);
    if (!chromium.ok) {
      console.log(`tests/dashboard/ will skip its browser test: ${chromium.reason}`);
    }
    // Ory Hydra for tests/authz/hydra_test.ts: seconds with a warm Go build cache, ten minutes
    // cold. A failed build leaves the test skipped, saying why, rather than stopping the run.
    await ensureHydra(console.log).catch((error) =>
      console.log(`Hydra is not available, tests/authz/hydra_test.ts will skip: ${error}`)
    );
    // The gRPC peers of tests/grpc/ (Go client, envoyproxy/ratelimit, grpcurl): same rule.
    await ensureGrpcPeers(console.log).catch((error) =>
      console.log(`gRPC peers are not available, tests/grpc/ will skip: ${error}`)
    );
    // The OpenTelemetry Collector of tests/otel/collector_test.ts: same rule.
    await ensureCollector(console.log).catch((error) =>
      console.log(
        `The collector is not available, tests/otel/collector_test.ts will skip: ${error}`,
      )
    );
    return ensureBinaries(console.log);
  });
  const redis = await timed("redis start", startRedis);
  cleanups.push(() => redis.stop());
  // Parsing ~1 MB of CRD YAML takes a second: do it on the core the starting apiserver leaves.
  const crds = crdFiles().then(readCrds);
  crds.catch(() => {}); // Awaited below; a failure must not surface as unhandled meanwhile.
  const plane = await timed("cluster start", () => startControlPlane({ binaries }));
  let failed = true;
  cleanups.push(() => plane.stop({ failed }));
  console.log(`Cluster ready at ${plane.url} (KUBECONFIG=${plane.kubeconfigPath})`);

  const client = Deno.createHttpClient({ caCerts: [plane.caPem] });
  cleanups.push(() => Promise.resolve(client.close()));
  const target: KubeTarget = { url: plane.url, token: plane.token, caPem: plane.caPem, client };
  const webhook = await startTestWebhook(`${plane.runDir}/webhook.log`);
  cleanups.push(() => webhook.close());
  const baseline = await timed("CRD install", async () => {
    const names = await installCrds(target, withWebhookConversion(await crds, webhook));
    console.log(`Installed ${names.length} CRDs`);
    await Promise.all(NAMESPACES.map((ns) => ensureNamespace(target, ns)));
    return takeBaseline(target);
  });

  const control = serveControl(controlActions(target, baseline, plane));
  cleanups.push(() => control.close());
  await Deno.mkdir(RESULTS_DIR, { recursive: true });
  const junitPath = `${RESULTS_DIR}/junit.xml`;
  await Deno.remove(junitPath).catch(() => {});
  const env = {
    [CLUSTER_ENV.kubeconfig]: plane.kubeconfigPath,
    [CLUSTER_ENV.url]: plane.url,
    [CLUSTER_ENV.token]: plane.token,
    [CLUSTER_ENV.caPath]: `${plane.runDir}/pki/apiserver.crt`,
    [CLUSTER_ENV.runDir]: plane.runDir,
    [CLUSTER_ENV.control]: control.url,
    APIGW_TEST_REDIS_URL: redis.url,
    APIGW_TEST_WEBHOOK_URL: webhook.url,
  };
  const { summary, exitCode } = await timed("tests", () => {
    const run = runDenoTest(args, { cwd: ROOT, env, junitPath });
    killTests = run.kill;
    return run.result;
  });
  killTests = undefined;
  failed = summary.failed > 0 || exitCode !== 0;
  return summary;
}

/** What tests may ask of the runner through the control endpoint. */
function controlActions(target: KubeTarget, baseline: ReadonlySet<string>, plane: ControlPlane) {
  let kept = baseline;
  return {
    async reset() {
      const started = performance.now();
      const result = await resetCluster(target, kept);
      resetMs.push(performance.now() - started);
      return result;
    },
    async restartApiserver() {
      await timed("apiserver restart", () => plane.restartApiserver());
      return { restarted: true };
    },
    /** Adds every namespaced object now in the cluster to what resets keep. */
    async keep() {
      kept = new Set([...kept, ...await takeBaseline(target)]);
      return { kept: kept.size };
    },
  };
}

/** `tests/fixtures/crds/*.yaml`, then the repo's own `manifests/crds/*.yaml`. */
async function crdFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const dir of [FIXTURE_CRDS, `${ROOT}manifests/crds/`]) {
    try {
      const names = [];
      for await (const entry of Deno.readDir(dir)) {
        if (entry.isFile && /\.ya?ml$/.test(entry.name)) names.push(`${dir}${entry.name}`);
      }
      files.push(...names.sort());
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return files;
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    timings.push(`${label} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** Runs the cleanups once, last registered first, then stops any process still recorded. */
function stopEverything(): Promise<void> {
  stopping ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error(`Cleanup failed: ${error instanceof Error ? error.message : error}`);
      }
    }
    await stopAllProcesses();
  })();
  return stopping;
}

async function report(summary: Summary): Promise<void> {
  await Deno.mkdir(RESULTS_DIR, { recursive: true });
  await Deno.writeTextFile(`${RESULTS_DIR}/summary.json`, JSON.stringify(summary) + "\n");
  if (resetMs.length > 0) {
    const average = resetMs.reduce((a, b) => a + b, 0) / resetMs.length;
    timings.push(`${resetMs.length} resets (${Math.round(average)} ms each)`);
  }
  console.log(`Timings: ${timings.join(", ")}`);
  console.log(summaryLine(summary));
}

if (import.meta.main) {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    Deno.addSignalListener(signal, async () => {
      console.error(`Received ${signal}: stopping the tests, the cluster and Redis`);
      killTests?.();
      await stopEverything();
      Deno.exit(code);
    });
  }
  let summary: Summary;
  try {
    summary = await main(Deno.args);
  } catch (error) {
    console.error(`Test setup failed: ${error instanceof Error ? error.message : error}`);
    summary = { passed: 0, failed: 1, skipped: 0 };
  } finally {
    await stopEverything();
  }
  await report(summary);
  Deno.exit(summary.failed > 0 ? 1 : 0);
}
