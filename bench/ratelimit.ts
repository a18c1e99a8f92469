/**
 * The global rate limit benchmark (bench/README.md): Redis-limited decisions/s and latency of
 * `apigw authz` through HTTP with wrk, and against `redis-benchmark` running the very token bucket
 * script (the physical limit of one Redis). Also the store alone: the Lua token bucket against
 * rate-limiter-flexible's fixed window, the choice the limiter makes per algorithm.
 *
 *   deno run -A bench/ratelimit.ts [--duration 10] [--connections 32] [--keys 10000]
 *     [--only redis,store,apigw,memory,rls,cluster] [--bin ~/.cache/apigw-bench]
 *
 * `rls` (alias `envoy`) is the like-for-like pair (`_ratelimit_rls.ts`): envoyproxy/ratelimit and
 * `apigw authz --rls-listen` on the same Redis with the same config, both loaded by ghz over gRPC,
 * after both answered a check sequence alike; skipped when `deno task grpc:build` or ghz is missing.
 *
 * `cluster` runs the store and `apigw authz` again on a Redis Cluster of 3 masters + 3 replicas
 * (tests/redis/cluster.ts), reported as a ratio to the in-memory path of the same run.
 *
 * Everything listens on loopback ports chosen at run time and stops when the script ends.
 */
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { startRedis, type TestRedis } from "../tests/redis/redis.ts";
import { startRedisCluster } from "../tests/redis/cluster.ts";
import { createRedisStore, TOKEN_BUCKET_LUA } from "../proxy/ratelimit/redis_store.ts";
import { runWrk } from "./_wrk.ts";
import { rlsBenchmark } from "./_ratelimit_rls.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const args = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    keys: { type: "string", default: "10000" },
    only: { type: "string" },
    bin: { type: "string", default: `${Deno.env.get("HOME")}/.cache/apigw-bench` },
  },
}).values;
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const KEYS = Number(args.keys);
/** Big enough that the run never empties a bucket: every decision is a Redis round trip. */
const BUCKET = { maxTokens: 1_000_000, tokensPerFill: 1_000_000, fillInterval: "1s" };
const children: Deno.ChildProcess[] = [];
const wanted = (name: string) => args.only === undefined || args.only.split(",").includes(name);

interface Row {
  target: string;
  rate: number;
  p50: string;
  p99: string;
  note?: string;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const rows: Row[] = [];
  try {
    if (wanted("redis")) rows.push(...await redisBenchmark(redis));
    if (wanted("store")) rows.push(...await storeBenchmark(redis.url));
    if (wanted("apigw")) rows.push(await apigwBenchmark(redis.url));
    if (wanted("memory")) rows.push(await apigwBenchmark(undefined));
    if (wanted("cluster")) rows.push(...await clusterBenchmark(rows));
    if (wanted("rls") || wanted("envoy")) {
      rows.push(
        ...await rlsBenchmark({
          redis,
          bin: args.bin,
          durationS: DURATION,
          concurrency: CONNECTIONS,
          requestsPerUnit: BUCKET.maxTokens,
        }) ?? [],
      );
    }
  } finally {
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    }
    await redis.stop();
  }
  console.log(`\n${DURATION} s per target, ${CONNECTIONS} connections, ${KEYS} keys`);
  console.log("| target | decisions/s | p50 | p99 | note |\n| --- | ---: | ---: | ---: | --- |");
  for (const row of rows) {
    console.log(
      `| ${row.target} | ${Math.round(row.rate)} | ${row.p50} | ${row.p99} | ${row.note ?? ""} |`,
    );
  }
}

/** redis-benchmark with the token bucket script itself: what one Redis can do at most. */
async function redisBenchmark(redis: TestRedis): Promise<Row[]> {
  const sha = createHash("sha1").update(TOKEN_BUCKET_LUA).digest("hex");
  await run("redis-cli", ["-p", String(redis.port), "SCRIPT", "LOAD", TOKEN_BUCKET_LUA]);
  const requests = String(Math.round(40_000 * DURATION));
  const rows: Row[] = [];
  for (
    const [target, command] of [
      ["redis-benchmark EVALSHA token bucket", [
        "EVALSHA",
        sha,
        "1",
        "tb:__rand_int__",
        "1000000",
        "1000000",
        "1000",
      ]],
      ["redis-benchmark INCR (one plain command)", ["INCR", "incr:__rand_int__"]],
    ] as const
  ) {
    const out = await run("redis-benchmark", [
      "-p",
      String(redis.port),
      "-c",
      String(CONNECTIONS),
      "-n",
      requests,
      "-r",
      String(KEYS),
      "--csv",
      ...command,
    ]);
    const line = out.trim().split("\n").pop() ?? "";
    const cells = line.split(",").map((c) => c.replaceAll('"', ""));
    rows.push({
      target,
      rate: Number(cells[1]),
      p50: `${cells[4]} ms`,
      p99: `${cells[6]} ms`,
      note: "physical limit, no HTTP",
    });
  }
  return rows;
}

/**
 * The store and `apigw authz` on a Redis Cluster (3 masters + 3 replicas on this machine), each
 * as a ratio to the in-memory `apigw authz` of the same run (measured here when not yet).
 */
async function clusterBenchmark(rows: Row[]): Promise<Row[]> {
  const memoryTarget = "apigw authz (HTTP, in-memory buckets, no Redis)";
  const memory = rows.find((r) => r.target === memoryTarget) ?? await apigwBenchmark(undefined);
  const cluster = await startRedisCluster();
  try {
    const found = [
      ...await storeBenchmark(cluster.url, " on Redis Cluster", ["tokenBucket"]),
      await apigwBenchmark(cluster.url, " on Redis Cluster"),
    ];
    for (const row of found) {
      row.note = `${(row.rate / memory.rate).toFixed(2)}× in-memory apigw authz; ${row.note ?? ""}`;
    }
    return rows.includes(memory) ? found : [memory, ...found];
  } finally {
    await cluster.stop();
  }
}

/** The stores alone, in-process: Lua token bucket against rate-limiter-flexible's window. */
async function storeBenchmark(
  url: string,
  label = "",
  algorithms: readonly ("tokenBucket" | "fixedWindow")[] = ["tokenBucket", "fixedWindow"],
): Promise<Row[]> {
  const store = createRedisStore({ url, commandTimeoutMs: 1_000 });
  await store.connected(5_000);
  const bucket = { maxTokens: 1_000_000, tokensPerFill: 1_000_000, fillIntervalMs: 1_000 };
  const rows: Row[] = [];
  try {
    for (const algorithm of algorithms) {
      const latencies: number[] = [];
      const end = performance.now() + DURATION * 1000;
      await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < end) {
          const started = performance.now();
          await store.take(`bench:${Math.floor(Math.random() * KEYS)}`, bucket, algorithm);
          latencies.push(performance.now() - started);
        }
      }));
      latencies.sort((a, b) => a - b);
      const at = (q: number) =>
        `${latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(2)} ms`;
      rows.push({
        target: algorithm === "fixedWindow"
          ? `store: rate-limiter-flexible RateLimiterRedis${label}`
          : label === ""
          ? "store: Lua token bucket (ioredis, auto-pipelined)"
          : `store: Lua token bucket${label} (a run per slot, pipelined per node)`,
        rate: latencies.length / DURATION,
        p50: at(0.5),
        p99: at(0.99),
        note: "in-process, no HTTP",
      });
    }
  } finally {
    await store.close();
  }
  return rows;
}

/** `apigw authz` over HTTP; without `redis`, its in-memory buckets (the ceiling of the path). */
async function apigwBenchmark(redisUrl: string | undefined, label = ""): Promise<Row> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-bench-rl-" });
  const objects = [
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "orders-0", namespace: "bench", labels: { app: "orders" } },
      status: { podIP: "127.0.0.1" },
    },
    {
      apiVersion: "gateway.kyma-project.io/v1alpha1",
      kind: "RateLimit",
      metadata: { name: "orders", namespace: "bench" },
      spec: {
        selectorLabels: { app: "orders" },
        local: { defaultBucket: BUCKET },
        global: { key: { header: { name: "x-api-key" } }, defaultBucket: BUCKET },
      },
    },
  ];
  await Deno.writeTextFile(`${dir}/objects.yaml`, objects.map((o) => stringify(o)).join("---\n"));
  const listen = await startAndRead(Deno.execPath(), [
    "run",
    "-A",
    `${ROOT}main.ts`,
    "authz",
    "--config",
    dir,
    // Measure Redis-limited decisions: a loaded machine must not turn them into fallbacks.
    ...(redisUrl === undefined ? [] : ["--redis-url", redisUrl, "--redis-timeout-ms", "1000"]),
    "--listen",
    "127.0.0.1:0",
    "--management-listen",
    "127.0.0.1:0",
  ], (line) => {
    try {
      const parsed = JSON.parse(line);
      return parsed.msg === "Serving ext_authz"
        ? String(parsed.management + " " + parsed.listen)
        : undefined;
    } catch {
      return undefined;
    }
  });
  const [management, check] = listen.split(" ");
  const url = `http://${check}/`;
  const probe = await fetch(url, { headers: { host: "orders.bench.local", "x-api-key": "probe" } });
  await probe.body?.cancel();
  if (probe.status !== 200) {
    throw new Error(`apigw authz did not allow the probe (${probe.status})`);
  }
  const row = await wrk(
    redisUrl === undefined
      ? "apigw authz (HTTP, in-memory buckets, no Redis)"
      : `apigw authz (HTTP, Redis token bucket)${label}`,
    url,
  );
  const metrics = await fetch(`http://${management}/metrics`).then((r) => r.text());
  const errors = /apigw_ratelimit_redis_errors_total\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? "0";
  const fallbacks = /apigw_ratelimit_fallback_total\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? "0";
  row.note = `${row.note ?? ""}Redis errors ${errors}, fallbacks ${fallbacks}`;
  await Deno.remove(dir, { recursive: true });
  const child = children.pop();
  child?.kill("SIGTERM");
  await child?.status;
  return row;
}

async function wrk(target: string, url: string): Promise<Row> {
  const { rate, p50, p99, non2xx } = await runWrk({
    url,
    threads: 1,
    connections: CONNECTIONS,
    durationS: DURATION,
    script: `${ROOT}bench/ratelimit_wrk.lua`,
    env: { BENCH_KEYS: String(KEYS) },
  });
  return {
    target,
    rate: Number.isNaN(rate) ? 0 : rate,
    p50,
    p99,
    ...(non2xx ? { note: `${non2xx} non-200; ` } : {}),
  };
}

async function run(command: string, argv: string[]): Promise<string> {
  const output = await new Deno.Command(command, { args: argv, stdout: "piped", stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(`${command} failed: ${new TextDecoder().decode(output.stderr).slice(-2000)}`);
  }
  return new TextDecoder().decode(output.stdout);
}

/** Spawns a child and returns the first value `read` finds in its stderr lines. */
async function startAndRead(
  command: string,
  argv: string[],
  read: (line: string) => string | undefined,
): Promise<string> {
  const child = new Deno.Command(command, { args: argv, stdout: "null", stderr: "piped" }).spawn();
  children.push(child);
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (true) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`${command} exited before it was ready`);
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const found = read(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      if (found !== undefined) {
        // Keep draining so the child never blocks on a full pipe.
        (async () => {
          while (!(await lines.read()).done) { /* drain */ }
        })();
        return found;
      }
    }
  }
}

if (import.meta.main) await main();
