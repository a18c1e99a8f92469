/**
 * The gRPC pair of bench/ratelimit.ts: envoyproxy/ratelimit (`service_cmd` as the gRPC tests
 * build it, `deno task grpc:build`) and `apigw authz --rls-listen` (the real `main.ts` process),
 * one config file, one Redis, both loaded in turn by ghz with the same settings and messages.
 * Before any load both must answer a short sequence with the same codes, limits and remaining
 * counts, so the two rows measure the same decision.
 */
import { stringify } from "yaml";
import { ghzLatency, runGhz } from "./_ghz.ts";
import { cpuSeconds, findPids } from "./_proc.ts";
import { cachedGrpcPeers } from "../tests/grpc/build.ts";
import {
  awayFromMinuteEdge,
  type ClientResult,
  goClient,
  startEnvoyRatelimit,
  startRls,
} from "../tests/grpc/_peers.ts";

const PROTO = new URL("./ratelimit_rls.proto", import.meta.url).pathname;
const CALL = "envoy.service.ratelimit.v3.RateLimitService.ShouldRateLimit";
/** One descriptor, its value unique per call: every decision is a new counter in Redis. */
const DATA =
  `{"domain":"bench","descriptors":[{"entries":[{"key":"api_key","value":"{{.RequestNumber}}"}]}]}`;
/** Seconds of the discarded ghz load before each measured one. */
const WARMUP_S = 2;
/** The limit of the sequence both services must answer alike before the load. */
const VERIFY_LIMIT = 3;

export interface RlsBenchOptions {
  redis: { url: string; port: number };
  /** Folder holding ghz. */
  bin: string;
  durationS: number;
  /** ghz `-c`: concurrent calls, over 4 HTTP/2 connections. */
  concurrency: number;
  /** `requests_per_unit` of the measured `api_key` descriptor (unit second): never reached. */
  requestsPerUnit: number;
}

export interface RlsRow {
  target: string;
  rate: number;
  p50: string;
  p99: string;
  note?: string;
}

/**
 * Both rows, envoyproxy/ratelimit first, the apigw row noting its ratio; undefined (said on
 * stderr) when a peer is not built. Throws when the two answer the check sequence differently.
 */
export async function rlsBenchmark(options: RlsBenchOptions): Promise<RlsRow[] | undefined> {
  const peers = await cachedGrpcPeers();
  const ghz = `${options.bin}/ghz`;
  if (peers === undefined) {
    console.error("Skipped the gRPC rate limit pair: run `deno task grpc:build` first");
    return undefined;
  }
  if (!(await exists(ghz))) {
    console.error(`Skipped the gRPC rate limit pair: ${ghz} is not built (see bench/README.md)`);
    return undefined;
  }
  const dir = await Deno.makeTempDir({ prefix: "apigw-bench-rls-" });
  try {
    const config = configYaml(options.requestsPerUnit);
    await Deno.mkdir(`${dir}/runtime/ratelimit/config`, { recursive: true });
    await Deno.writeTextFile(`${dir}/runtime/ratelimit/config/bench.yaml`, config);
    await Deno.mkdir(`${dir}/apigw`);
    await Deno.writeTextFile(`${dir}/apigw/bench.yaml`, config);
    await using envoy = await startEnvoyRatelimit(peers.ratelimit, {
      redis: { hostname: "127.0.0.1", port: options.redis.port },
      root: `${dir}/runtime`,
      probe: (address) => goClient(peers.rlsclient, address, [probeRequest()]),
    });
    // Measure Redis-limited decisions: a loaded machine must not turn them into the failure
    // mode (envoyproxy/ratelimit's REDIS_TIMEOUT is 10 s).
    await using apigw = await startRls(`${dir}/apigw`, [
      "--redis-url",
      options.redis.url,
      "--redis-timeout-ms",
      "1000",
    ]);
    await verifySameAnswers(peers.rlsclient, envoy.address, apigw.address, options);
    const load = (address: string, durationS: number) =>
      runGhz({
        bin: options.bin,
        proto: PROTO,
        call: CALL,
        data: DATA,
        concurrency: String(options.concurrency),
        duration: String(durationS),
        address,
      });
    // Each service gets the same discarded warm-up load (V8 compiles apigw's hot path, the Go
    // service fills its pools) and each measured load starts on an empty Redis:
    // envoyproxy/ratelimit's counters outlive their window by up to EXPIRATION_JITTER_MAX_SECONDS
    // (300 s by default), apigw's by none.
    // CPU per decision of the service and of Redis over the measured load (/proc): on two cores
    // shared with ghz and Redis, the cheaper service per decision is the faster one.
    const redisPids = findPids("redis-server", `:${options.redis.port}`);
    const measure = async (target: string, address: string, pids: number[]) => {
      await load(address, WARMUP_S);
      await flushRedis(options.redis.port);
      const before = [sumCpu(pids), sumCpu(redisPids)];
      const row = rowOf(target, await load(address, options.durationS));
      const decisions = row.rate * options.durationS;
      const perDecision = (now: number, then: number) =>
        `${((now - then) * 1e6 / decisions).toFixed(0)} µs`;
      row.note = `CPU per decision: service ${perDecision(sumCpu(pids), before[0]!)}, Redis ${
        perDecision(sumCpu(redisPids), before[1]!)
      }; ${row.note}`;
      return row;
    };
    const theirs = await measure(
      "envoyproxy/ratelimit (gRPC, ghz)",
      envoy.address,
      findPids(peers.ratelimit),
    );
    const ours = await measure(
      "apigw authz --rls-listen (gRPC, ghz)",
      apigw.address,
      findPids("main.ts", "authz", `${dir}/apigw`),
    );
    const failed = [
      ...(await apigw.metrics()).matchAll(/^apigw_rls_failed_total\{[^}]*\} (\d+)$/gm),
    ]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    ours.note = `${(ours.rate / theirs.rate).toFixed(2)}× envoyproxy/ratelimit; ${ours.note}; ` +
      `apigw_rls_failed_total ${failed}`;
    return [theirs, ours];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function configYaml(requestsPerUnit: number): string {
  return stringify({
    domain: "bench",
    descriptors: [
      { key: "api_key", rate_limit: { unit: "second", requests_per_unit: requestsPerUnit } },
      { key: "verify", rate_limit: { unit: "minute", requests_per_unit: VERIFY_LIMIT } },
    ],
  });
}

function probeRequest(): unknown {
  return { domain: "bench", descriptors: [{ entries: [{ key: "probe", value: "p" }] }] };
}

/**
 * One call of the measured descriptor (OK, its limit, requests_per_unit − 1 left), then
 * VERIFY_LIMIT + 1 calls of one fixed `verify` value (OK … OK, then OVER_LIMIT, each with its
 * remaining count), sent by the gRPC tests' Go client to each service in turn. Both must give
 * exactly these answers.
 */
async function verifySameAnswers(
  client: string,
  envoy: string,
  apigw: string,
  options: RlsBenchOptions,
): Promise<void> {
  const run = crypto.randomUUID().slice(0, 8);
  const request = (key: string, value: string) => ({
    domain: "bench",
    descriptors: [{ entries: [{ key, value }] }],
  });
  const requests = [
    request("api_key", `verify-${run}`),
    ...Array.from({ length: VERIFY_LIMIT + 1 }, () => request("verify", run)),
  ];
  const expected = [
    answer("OK", options.requestsPerUnit - 1, options.requestsPerUnit, "SECOND"),
    ...Array.from(
      { length: VERIFY_LIMIT + 1 },
      (_, i) =>
        answer(
          i < VERIFY_LIMIT ? "OK" : "OVER_LIMIT",
          Math.max(0, VERIFY_LIMIT - 1 - i),
          VERIFY_LIMIT,
          "MINUTE",
        ),
    ),
  ];
  // The minute window must not turn over in the middle of the sequence.
  await awayFromMinuteEdge();
  const answers = {
    "envoyproxy/ratelimit": (await goClient(client, envoy, requests)).map(comparable),
    "apigw authz --rls-listen": (await goClient(client, apigw, requests)).map(comparable),
  };
  const want = JSON.stringify(expected);
  for (const [name, got] of Object.entries(answers)) {
    if (JSON.stringify(got) !== want) {
      throw new Error(
        `${name} did not answer the check sequence as expected, so the two would not do equal ` +
          `work: got ${JSON.stringify(got)}, want ${want}`,
      );
    }
  }
}

function answer(code: string, remaining: number, requestsPerUnit: number, unit: string): unknown {
  return {
    overallCode: code,
    statuses: [{ code, limitRemaining: remaining, requestsPerUnit, unit }],
  };
}

/** The fields compared: no reset times, which may differ by a second between two calls. */
function comparable(result: ClientResult): unknown {
  if (result.response === undefined) return { error: result.code, message: result.message };
  return {
    overallCode: result.response.overallCode,
    statuses: result.response.statuses?.map((s) => ({
      code: s.code,
      limitRemaining: s.limitRemaining ?? 0,
      requestsPerUnit: s.currentLimit?.requestsPerUnit,
      unit: s.currentLimit?.unit,
    })),
  };
}

/**
 * Decisions/s counts calls answered with gRPC OK (OK or OVER_LIMIT). The note has ghz's status
 * codes and error messages, less the calls ghz itself cuts when the duration ends ("transport is
 * closing", "the client connection is closing": at most one per concurrent caller), counted apart.
 */
function rowOf(target: string, report: Record<string, unknown>): RlsRow {
  const codes = Object(report.statusCodeDistribution ?? {});
  const answered = Number(Reflect.get(codes, "OK") ?? 0);
  const seconds = Number(report.total) / 1e9;
  let cut = 0;
  const errors: Record<string, number> = {};
  for (const [message, count] of Object.entries(Object(report.errorDistribution ?? {}))) {
    if (/transport is closing|client connection is closing/.test(message)) cut += Number(count);
    else errors[message] = Number(count);
  }
  const other = Object.keys(errors).length === 0 ? "" : `, errors ${JSON.stringify(errors)}`;
  return {
    target,
    rate: answered / seconds,
    p50: ghzLatency(report, 50),
    p99: ghzLatency(report, 99),
    note: `gRPC codes ${JSON.stringify(codes)} (${cut} cut by ghz at the end${other})`,
  };
}

/** Empties the bench's private Redis (the other targets' keys included: they ran before). */
function sumCpu(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
}

async function flushRedis(port: number): Promise<void> {
  const output = await new Deno.Command("redis-cli", {
    args: ["-p", String(port), "FLUSHALL"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const reply = new TextDecoder().decode(output.stdout).trim();
  if (!output.success || reply !== "OK") {
    throw new Error(
      `Cannot flush the bench Redis: ${reply} ${new TextDecoder().decode(output.stderr)}`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
