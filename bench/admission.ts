/**
 * Admission benchmark (bench/README.md, "admission"): `apigw operator` serves the webhooks with
 * the certificate its controller made; bursts of N creates (default 200, all sent at once)
 * go through the apiserver into a namespace where apigw's admission webhooks apply, and into one
 * where they do not (the baseline: the same apiserver work without the webhook call). Reported:
 * client-side create latency p50/p99 per burst (and of creates sent one at a time, for the
 * latency without queueing), and the apiserver's own measurement of each
 * webhook call (`apiserver_admission_webhook_admission_duration_seconds`, interpolated within
 * its buckets like PromQL's `histogram_quantile`), and apigw's own histograms of the same calls
 * from the operator's /metrics (`apigw_webhook_request_duration_seconds`: body read to answer;
 * `apigw_webhook_compute_duration_seconds`: the synchronous, CPU part), whose buckets start at
 * 100 µs where the apiserver's are 5, 25, 100 and 500 ms.
 *
 *   deno task bench:admission [--creates 200]
 *
 * Runs against the cluster of `deno task test` when its variables are set, else starts one.
 */
import { parseArgs } from "node:util";
import { ownCluster } from "./_cluster.ts";

import {
  CLUSTER_ENV,
  kubeRequest,
  type TestCluster,
  testCluster,
  uniqueName,
} from "../tests/cluster/mod.ts";
import { ensureNamespace } from "../tests/cluster/namespaces.ts";

import { operatorAccess, type OperatorProcess } from "../tests/operator/_operator.ts";
import {
  admissionNamespace,
  cleanUp,
  pointWebhooksAt,
  preserveWebhooks,
  startWebhookOperator,
  waitForConversion,
} from "../tests/webhooks/_webhooks.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { creates: { type: "string", default: "200" } },
});
const CREATES = Number(values.creates);
const WEBHOOK_METRIC = "apiserver_admission_webhook_admission_duration_seconds";
const OWN_DURATION_METRIC = "apigw_webhook_request_duration_seconds";
const OWN_COMPUTE_METRIC = "apigw_webhook_compute_duration_seconds";

const stop = Deno.env.get(CLUSTER_ENV.url) === undefined ? await ownCluster() : async () => {};
try {
  await run();
} finally {
  await stop();
}

async function run(): Promise<void> {
  const cluster = testCluster();
  const kubeconfig = await operatorAccess(cluster);
  const parts: Parameters<typeof cleanUp>[1] = { webhooks: await preserveWebhooks(cluster) };
  try {
    // The webhooks only: the APIRule controller would reconcile every created APIRule on the
    // same two cores and measure itself into the numbers.
    const operator = await startWebhookOperator(cluster, kubeconfig, {
      args: ["--controllers=certificate"],
    });
    parts.operator = operator;
    await pointWebhooksAt(cluster, operator.url);
    const withWebhooks = uniqueName("bench-admission");
    const without = uniqueName("bench-baseline");
    await admissionNamespace(cluster, withWebhooks);
    await ensureNamespace(cluster, without);
    await waitForConversion(cluster, without);
    await waitForConversion(cluster, withWebhooks);
    await creates(cluster, withWebhooks, "v2", "warmup", { count: 20, burst: true });

    const phases = [
      { label: "v2 creates, validating webhook", ns: withWebhooks, version: "v2", burst: true },
      {
        label: "v2alpha1 creates, mutating + validating",
        ns: withWebhooks,
        version: "v2alpha1",
        burst: true,
      },
      { label: "v2 creates, no admission webhook", ns: without, version: "v2", burst: true },
      {
        label: "v2 creates one at a time, validating",
        ns: withWebhooks,
        version: "v2",
        burst: false,
      },
    ];
    const rows: string[] = [];
    const calls: string[] = [];
    const own: string[] = [];
    for (const phase of phases) {
      const before = await webhookHistograms(cluster);
      const ownBefore = await ownHistograms(operator.process);
      rows.push(
        await creates(cluster, phase.ns, phase.version, phase.label, {
          count: phase.burst ? CREATES : Math.min(CREATES, 50),
          burst: phase.burst,
        }),
      );
      for (const [name, counts] of await ownHistograms(operator.process)) {
        const delta = subtract(counts, ownBefore.get(name));
        if (delta.count === 0) continue;
        own.push(
          `| ${phase.label} | ${name} | ${delta.count} | ${ms(quantile(delta, 0.5), 2)} | ${
            ms(quantile(delta, 0.99), 2)
          } |`,
        );
      }
      const after = await webhookHistograms(cluster);
      for (const [name, counts] of after) {
        const delta = subtract(counts, before.get(name));
        if (delta.count === 0) continue;
        calls.push(
          `| ${phase.label} | ${name} | ${delta.count} | ${ms(quantile(delta, 0.5))} | ${
            ms(quantile(delta, 0.99))
          } |`,
        );
      }
    }
    console.log(`\n| creates through the apiserver | ok | p50 | p99 | max | wall |`);
    console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const row of rows) console.log(row);
    console.log("\n| phase | webhook (apiserver's histogram) | calls | p50 | p99 |");
    console.log("| --- | --- | ---: | ---: | ---: |");
    for (const row of calls) console.log(row);
    console.log("\n| phase | apigw's own histogram (time / cpu, webhook) | calls | p50 | p99 |");
    console.log("| --- | --- | ---: | ---: | ---: |");
    for (const row of own) console.log(row);
  } finally {
    await cleanUp(cluster, parts);
  }
}

/** Sends `count` creates, all at once or one after the other; returns a table row. */
async function creates(
  cluster: TestCluster,
  namespace: string,
  version: string,
  label: string,
  options: { count: number; burst: boolean },
): Promise<string> {
  const { count } = options;
  const prefix = uniqueName("r");
  // One HTTP/2 connection to the apiserver, as client-go has: the burst measures admission, not
  // 200 TLS handshakes of the load generator.
  const client = Deno.createHttpClient({ caCerts: [cluster.caPem] });
  const target = { url: cluster.url, token: cluster.token, caPem: cluster.caPem, client };
  const started = performance.now();
  const create = async (i: number) => {
    const object = {
      apiVersion: `gateway.kyma-project.io/${version}`,
      kind: "APIRule",
      metadata: { name: `${prefix}-${i}`, namespace },
      spec: {
        hosts: [`${prefix}-${i}.bench.local`],
        gateway: "kyma-system/kyma-gateway",
        service: { name: "httpbin", port: 8000 },
        rules: [{ path: "/a", methods: ["GET"], noAuth: true }],
      },
    };
    const sent = performance.now();
    const response = await kubeRequest(
      target,
      "POST",
      `/apis/gateway.kyma-project.io/${version}/namespaces/${namespace}/apirules`,
      { body: object },
    );
    return { ok: response.status === 201, ms: performance.now() - sent };
  };
  const results: Array<{ ok: boolean; ms: number }> = [];
  if (options.burst) {
    results.push(...await Promise.all(Array.from({ length: count }, (_, i) => create(i))));
  } else {
    for (let i = 0; i < count; i++) results.push(await create(i));
  }
  const wall = performance.now() - started;
  client.close();
  const latencies = results.map((r) => r.ms).sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const ok = results.filter((r) => r.ok).length;
  return `| ${label} | ${ok}/${count} | ${ms(at(0.5))} | ${ms(at(0.99))} | ${ms(at(1))} | ${
    ms(wall)
  } |`;
}

interface Histogram {
  /** Upper bound (seconds) → cumulative count. */
  buckets: Map<number, number>;
  count: number;
}

/** The apiserver's webhook-call histograms, by webhook name (admit and validating summed). */
async function webhookHistograms(cluster: TestCluster): Promise<Map<string, Histogram>> {
  const response = await cluster.request("GET", "/metrics");
  return histogramsOf(response.text, WEBHOOK_METRIC, "name");
}

/**
 * The operator's own fine-grained histograms of its webhook handling (buckets from 100 µs):
 * `time <webhook>` (body read to answer) and `cpu <webhook>` (the synchronous part).
 */
async function ownHistograms(operator: OperatorProcess): Promise<Map<string, Histogram>> {
  const text = await fetch(`${operator.metricsUrl}/metrics`).then((r) => r.text());
  const own = new Map<string, Histogram>();
  for (
    const [prefix, metric] of [
      ["time", OWN_DURATION_METRIC],
      ["cpu", OWN_COMPUTE_METRIC],
    ] as const
  ) {
    for (const [name, histogram] of histogramsOf(text, metric, "webhook")) {
      own.set(`${prefix} ${name}`, histogram);
    }
  }
  return own;
}

/** The histograms of `metric` in a Prometheus text, summed by the value of label `by`. */
function histogramsOf(text: string, metric: string, by: string): Map<string, Histogram> {
  const histograms = new Map<string, Histogram>();
  const label = new RegExp(`[{,]${by}="([^"]+)"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}_bucket{`)) continue;
    const name = label.exec(line)?.[1];
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (name === undefined || le === undefined) continue;
    const histogram = histograms.get(name) ?? { buckets: new Map(), count: 0 };
    const bound = le === "+Inf" ? Infinity : Number(le);
    histogram.buckets.set(bound, (histogram.buckets.get(bound) ?? 0) + value);
    if (bound === Infinity) histogram.count = histogram.buckets.get(bound) ?? 0;
    histograms.set(name, histogram);
  }
  return histograms;
}

function subtract(after: Histogram, before: Histogram | undefined): Histogram {
  const buckets = new Map<number, number>();
  for (const [bound, value] of after.buckets) {
    buckets.set(bound, value - (before?.buckets.get(bound) ?? 0));
  }
  return { buckets, count: after.count - (before?.count ?? 0) };
}

/** `histogram_quantile`: linear interpolation inside the bucket holding the quantile. */
function quantile(histogram: Histogram, q: number): number {
  const bounds = [...histogram.buckets.keys()].sort((a, b) => a - b);
  const rank = q * histogram.count;
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const cumulative = histogram.buckets.get(bound) ?? 0;
    if (cumulative >= rank) {
      if (bound === Infinity) return lower * 1000;
      const inBucket = cumulative - below;
      const fraction = inBucket === 0 ? 0 : (rank - below) / inBucket;
      return (lower + (bound - lower) * fraction) * 1000;
    }
    lower = bound;
    below = cumulative;
  }
  return NaN;
}

function ms(value: number, digits = 1): string {
  return Number.isNaN(value) ? "–" : `${value.toFixed(digits)} ms`;
}
