/**
 * Operator benchmark (bench/README.md, "operator"): on a fresh test control plane, N APIRules
 * (default 1 000, each with its own Service and one `noAuth` rule) exist before `apigw operator`
 * starts; measured are the time from the operator's start to every APIRule `Ready`, then the
 * latency from an APIRule change to the changed VirtualService (K sequential changes), and the
 * operator's resident memory (its `process_resident_memory_bytes`, sampled throughout).
 *
 *   deno run -A bench/operator_bench.ts [--rules 1000] [--changes 200] [--concurrency 8]
 *
 * Runs against the cluster of `deno task test` when its variables are set, else starts one.
 */
import { parseArgs } from "node:util";
import { ownCluster } from "./_cluster.ts";

import { CLUSTER_ENV, poll, testCluster } from "../tests/cluster/mod.ts";
import { ensureNamespace } from "../tests/cluster/namespaces.ts";

import { apiRule, at, items, kymaGateway, service } from "../tests/operator/_fixtures.ts";
import { applyAsAdmin, operatorAccess, startOperator } from "../tests/operator/_operator.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rules: { type: "string", default: "1000" },
    changes: { type: "string", default: "200" },
    concurrency: { type: "string", default: "8" },
  },
});
const RULES = Number(values.rules);
const CHANGES = Number(values.changes);
const NS = "bench";
const APIRULES = `/apis/gateway.kyma-project.io/v2alpha1/namespaces/${NS}/apirules`;
const VIRTUAL_SERVICES = `/apis/networking.istio.io/v1/namespaces/${NS}/virtualservices`;

const stop = Deno.env.get(CLUSTER_ENV.url) === undefined ? await ownCluster() : async () => {};
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
  await inParallel(RULES, 16, async (i) => {
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

  const started = performance.now();
  const operator = await startOperator(cluster, kubeconfig, {
    name: "bench",
    args: [`--max-concurrent-reconciles=${values.concurrency}`],
  });
  let peakRss = 0;
  const sampleRss = async () => {
    const rss = [...(await operator.metric("process_resident_memory_bytes")).values()][0] ?? 0;
    peakRss = Math.max(peakRss, rss);
  };
  const sampler = setInterval(() => sampleRss().catch(() => {}), 250);
  try {
    await poll(async () => {
      const rules = await items(cluster, APIRULES);
      return rules.filter((r) => at(r, "status", "state") === "Ready").length === RULES
        ? true
        : undefined;
    }, { timeoutMs: 600_000, intervalMs: 250, what: `${RULES} APIRules to be Ready` });
    const coldStartMs = performance.now() - started;
    await operator.waitIdle({ timeoutMs: 120_000 });
    await sampleRss();

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
    };
    console.log(JSON.stringify(result));
  } finally {
    clearInterval(sampler);
    await operator.stop();
    await cluster.reset();
  }
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
