/**
 * Operator benchmark (bench/README.md, "operator"): on a fresh test control plane, N APIRules
 * (default 1 000, each with its own Service and one `noAuth` rule) exist before `apigw operator`
 * starts; measured are the time from the operator's start to every APIRule `Ready`, then the
 * latency from an APIRule change to the changed VirtualService (K sequential changes), and the
 * operator's resident memory (its `process_resident_memory_bytes`, sampled throughout, and the
 * kernel's peak `VmHWM`), the CPU seconds of each process from /proc (operator, kube-apiserver,
 * etcd, and this process, which serves the test conversion webhook when it started the control
 * plane), and the apiserver's write requests per APIRule (`apiserver_request_total`).
 *
 *   deno run -A bench/operator_bench.ts [--apirules 1000] [--changes 200] [--concurrency 8]
 *
 * Runs against the cluster of `deno task test` when its variables are set, else starts one.
 * Readiness is followed through one watch (kube/ informer) rather than by listing every APIRule.
 */
import { parseArgs } from "node:util";
import { createLogger } from "../lib/log.ts";
import { createKubeClient } from "../kube/client.ts";
import { Informer } from "../kube/informer.ts";
import { resourceType } from "../kube/resources.ts";
import { ownCluster } from "./_cluster.ts";
import { apiserverWrites, CpuSplit, difference, findPids, memoryOf } from "./_proc.ts";

import { CLUSTER_ENV, poll, testCluster } from "../tests/cluster/mod.ts";
import { ensureNamespace } from "../tests/cluster/namespaces.ts";

import { apiRule, at, items, kymaGateway, service } from "../tests/operator/_fixtures.ts";
import { applyAsAdmin, operatorAccess, startOperator } from "../tests/operator/_operator.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rules: { type: "string", default: "1000" },
    apirules: { type: "string" },
    "create-width": { type: "string", default: "16" },
    changes: { type: "string", default: "200" },
    concurrency: { type: "string", default: "8" },
  },
});
const RULES = Number(values.apirules ?? values.rules);
const CHANGES = Number(values.changes);
const NS = "bench";
const VIRTUAL_SERVICES = `/apis/networking.istio.io/v1/namespaces/${NS}/virtualservices`;

const owned = Deno.env.get(CLUSTER_ENV.url) === undefined;
const stop = owned ? await ownCluster() : async () => {};
try {
  await run();
} finally {
  await stop();
}

async function run(): Promise<void> {
  const cluster = testCluster();
  await cluster.reset();
  const kubeconfig = await operatorAccess(cluster);
  await ensureNamespace(cluster, NS);
  await applyAsAdmin(cluster, kymaGateway("bench.local"));
  console.log(`Creating ${RULES} Services and APIRules`);
  const created = performance.now();
  await inParallel(RULES, Number(values["create-width"]), async (i) => {
    for (
      const object of [
        service(NS, `svc-${i}`, { app: `app-${i}` }),
        apiRule(NS, `rule-${i}`, {
          host: `r${i}.bench.local`,
          service: { name: `svc-${i}` },
          paths: ["/v0"],
        }),
      ]
    ) {
      const response = await applyAsAdmin(cluster, object);
      if (response.status >= 300) throw new Error(response.text);
    }
  });

  console.log(`Created in ${((performance.now() - created) / 1000).toFixed(1)} s`);

  // Readiness through one watch of the APIRules (storage version: no conversion).
  const client = createKubeClient({
    server: cluster.url,
    caPem: cluster.caPem,
    clientCert: undefined,
    token: () => Promise.resolve(cluster.token),
  });
  const watcher = new Informer(
    client,
    { type: resourceType("gateway.kyma-project.io", "APIRule"), namespace: NS },
    createLogger({ level: "error", write: () => {} }),
  );
  const stopWatch = new AbortController();
  const watching = watcher.run(stopWatch.signal);
  const runDir = Deno.env.get(CLUSTER_ENV.runDir) ?? cluster.runDir;
  const pids = {
    "kube-apiserver": findPids("kube-apiserver", runDir)[0],
    etcd: findPids("etcd", runDir).find((pid) => findPids("kube-apiserver", runDir)[0] !== pid),
    // This process serves the test conversion webhook when it started the control plane.
    ...(owned ? { "bench (conversion webhook, watch)": Deno.pid } : {}),
  };
  const writesBefore = await apiserverWrites(cluster);
  const started = performance.now();
  const operator = await startOperator(cluster, kubeconfig, {
    name: "bench",
    args: [`--max-concurrent-reconciles=${values.concurrency}`],
  });
  const cpu = new CpuSplit({ operator: operator.pid, ...pids });
  cpu.start();
  let peakRss = 0;
  const sampleRss = async () => {
    const rss = [...(await operator.metric("process_resident_memory_bytes")).values()][0] ?? 0;
    peakRss = Math.max(peakRss, rss);
  };
  const sampler = setInterval(() => sampleRss().catch(() => {}), 250);
  const ready = () =>
    watcher.store.list().filter((r) => at(r, "status", "state") === "Ready").length;
  const progress = setInterval(
    () => console.log(`${((performance.now() - started) / 1000).toFixed(0)} s: ${ready()} Ready`),
    10_000,
  );
  try {
    await poll(() => ready() === RULES ? true : undefined, {
      timeoutMs: 3_600_000,
      intervalMs: 100,
      what: `${RULES} APIRules to be Ready`,
    });
    const coldStartMs = performance.now() - started;
    clearInterval(progress);
    const coldCpu = cpu.stop();
    await operator.waitIdle({ timeoutMs: 600_000 });
    const writes = difference(writesBefore, await apiserverWrites(cluster));
    const totalWrites = Object.values(writes).reduce((a, b) => a + b, 0);
    await sampleRss();
    // Where the memory is once idle: V8 heap in use, buffers outside it, objects cached.
    const one = async (name: string) => [...(await operator.metric(name)).values()][0] ?? 0;
    const idleMemory = {
      rssMiB: mib(await one("process_resident_memory_bytes")),
      heapUsedMiB: mib(await one("process_heap_used_bytes")),
      heapTotalMiB: mib(await one("process_heap_total_bytes")),
      externalMiB: mib(await one("process_external_memory_bytes")),
      cachedObjects: [...(await operator.metric("apigw_informer_objects")).values()]
        .reduce((a, b) => a + b, 0),
    };

    // From the moment the apiserver has stored the change (the apply answered) until the
    // VirtualService shows it: what the operator adds, without the harness's own write.
    const latencies: number[] = [];
    for (let c = 0; c < CHANGES; c++) {
      const i = c % RULES;
      const path = `/v${c + 1}`;
      await applyAsAdmin(
        cluster,
        apiRule(NS, `rule-${i}`, {
          host: `r${i}.bench.local`,
          service: { name: `svc-${i}` },
          paths: [path],
        }),
      );
      const changed = performance.now();
      await poll(async () => {
        const list = await items(
          cluster,
          `${VIRTUAL_SERVICES}?labelSelector=${
            encodeURIComponent(`apirule.gateway.kyma-project.io/name=rule-${i}`)
          }`,
        );
        return JSON.stringify(list[0]?.spec).includes(`${path}`) ? true : undefined;
      }, { timeoutMs: 30_000, intervalMs: 5, what: `change ${c} to be applied` });
      latencies.push(performance.now() - changed);
    }
    await sampleRss();
    const kernelPeak = memoryOf(operator.pid)?.peak ?? 0;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    const result = {
      rules: RULES,
      concurrency: Number(values.concurrency),
      coldStartToReadySeconds: Number((coldStartMs / 1000).toFixed(1)),
      changes: CHANGES,
      changeToAppliedMs: {
        p50: Math.round(pct(50)),
        p90: Math.round(pct(90)),
        p99: Math.round(pct(99)),
        max: Math.round(latencies.at(-1) ?? 0),
      },
      peakRssMiB: Number((peakRss / 1024 / 1024).toFixed(1)),
      peakRssKernelMiB: Number((kernelPeak / 1024 / 1024).toFixed(1)),
      idleMemory,
      coldStartCpu: coldCpu,
      writesPerAPIRule: Number((totalWrites / RULES).toFixed(2)),
      writesUntilIdle: writes,
    };
    console.log(JSON.stringify(result));
  } finally {
    clearInterval(sampler);
    clearInterval(progress);
    stopWatch.abort();
    await watching;
    client.close();
    await operator.stop();
    // A control plane of the bench's own is stopped next: emptying it (tens of thousands of
    // deletes at 10 000 APIRules) would only cost minutes.
    if (!owned) await cluster.reset();
  }
}

function mib(bytes: number): number {
  return Number((bytes / 1024 / 1024).toFixed(1));
}

async function inParallel(
  count: number,
  width: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await fn(next++);
  }));
}
