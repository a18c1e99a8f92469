/**
 * What OpenTelemetry tracing costs `apigw authz` (issue 17): JWT decisions/s with wrk for
 * `apigw authz` processes over the same rules, one per mode, measured in alternation (`--runs`
 * rounds, each mode once per round), and the CPU time each decision took (the main thread,
 * where JavaScript and Deno.serve run, and the whole process; read from /proc, so steadier than
 * throughput on a busy machine). The modes (`--modes`, keys of MODES below) separate what
 * Deno 2.9.6 does with `OTEL_DENO=true` from what apigw does: tracing off; Deno's defaults at
 * 1 % (its tracing of every Deno.serve request, per-request HTTP metrics and console capture all
 * on); Deno's server span with its metrics and console off; Deno's HTTP metrics alone; apigw
 * owning the server span (`OTEL_DENO_TRACING=false`, docs/tracing.md's recommendation) at 1 %
 * and for every request; every request under Deno's server span. wrk sends no `traceparent`, so
 * every check is a root for the sampler; with `--traceparent` it sends one on every request, 1 %
 * of them sampled (`bench/tracing_traceparent.lua`), as a tracing Envoy does, and the parent's
 * flag decides. Each traced mode exports OTLP/HTTP to its own sink in
 * this process, which drops the data but counts exports, bytes, spans (by scope and name),
 * metrics and log records (`bench/_otlp_count.ts`). Prints each round, the medians, the counts,
 * and the recommended 1 % mode against the ≥ 90 % goal.
 *
 * `--profile DIR` starts every process with `--inspect` and takes a CPU profile of each during
 * its first-round wrk run (DevTools protocol, `bench/_cpu_profile.ts`): the `.cpuprofile` files
 * go to DIR (open them in Chrome DevTools) and the top self-time shares are printed.
 *
 *   deno run -A bench/tracing.ts [--runs 5] [--duration 10] [--connections 32] [--threads 1]
 *     [--modes off,deno-defaults,deno-server,apigw-server,every] [--profile DIR] [--traceparent]
 *     (more modes: metrics-only, every-deno)
 */
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { http1 } from "../tests/authz/http1.ts";
import { poll } from "../tests/poll.ts";
import { median, runWrk } from "./_wrk.ts";
import { HOST, rulesYaml } from "./_jwt_rules.ts";
import { countExport, emptyCounts, type OtlpCounts } from "./_otlp_count.ts";
import { type CpuProfile, shares, startProfile } from "./_cpu_profile.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const args = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "5" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "1" },
    modes: { type: "string", default: "off,deno-defaults,deno-server,apigw-server,every" },
    profile: { type: "string" },
    traceparent: { type: "boolean", default: false },
  },
}).values;

const ONE_PERCENT = {
  OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
  OTEL_TRACES_SAMPLER_ARG: "0.01",
};
/** Deno's tracing of every `Deno.serve` request on, its metrics and console export off. */
const DENO_SERVER = { OTEL_DENO: "true", OTEL_DENO_METRICS: "false", OTEL_DENO_CONSOLE: "ignore" };
/**
 * What docs/tracing.md recommends: Deno's tracing and metrics off, its exporter kept up by its
 * console capture (OTEL_DENO's default); apigw starts the server span itself.
 */
const APIGW_SERVER = { OTEL_DENO: "true", OTEL_DENO_TRACING: "false", OTEL_DENO_METRICS: "false" };

const MODES: Record<string, { name: string; env: Record<string, string> }> = {
  "off": { name: "off", env: {} },
  "deno-defaults": {
    name: "1 %, Deno's defaults (OTEL_DENO=true only)",
    env: { OTEL_DENO: "true", ...ONE_PERCENT },
  },
  "deno-server": {
    name: "1 %, Deno's server span (its metrics, console off)",
    env: { ...DENO_SERVER, ...ONE_PERCENT },
  },
  "metrics-only": { name: "Deno's HTTP metrics only", env: { OTEL_DENO_METRICS: "true" } },
  "apigw-server": {
    name: "1 %, apigw's server span (recommended)",
    env: { ...APIGW_SERVER, ...ONE_PERCENT },
  },
  "every": {
    name: "every request, apigw's server span",
    env: { ...APIGW_SERVER, OTEL_TRACES_SAMPLER: "parentbased_always_on" },
  },
  "every-deno": {
    name: "every request, Deno's server span",
    env: { ...DENO_SERVER, OTEL_TRACES_SAMPLER: "parentbased_always_on" },
  },
};

async function main(): Promise<void> {
  const keys = args.modes!.split(",").map((key) => key.trim());
  for (const key of keys) {
    if (MODES[key] === undefined) {
      throw new Error(`unknown mode ${key}; known: ${Object.keys(MODES).join(", ")}`);
    }
  }
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: "RS256", use: "sig" };
  const jwks = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ keys: [jwk] }),
  );
  const issuer = `http://127.0.0.1:${jwks.addr.port}`;
  const token = await new SignJWT({ iss: issuer, sub: "bench", scope: "orders:read" })
    .setProtectedHeader({ alg: "RS256", kid: "bench" })
    .setExpirationTime("2h")
    .sign(privateKey);
  const dir = await Deno.makeTempDir({ prefix: "apigw-bench-tracing-" });
  const children: Deno.ChildProcess[] = [];
  const sinks: Deno.HttpServer<Deno.NetAddr>[] = [];
  if (args.profile !== undefined) await Deno.mkdir(args.profile, { recursive: true });
  try {
    await Deno.writeTextFile(`${dir}/rules.yaml`, rulesYaml(issuer));
    const targets: {
      key: string;
      name: string;
      url: string;
      rates: number[];
      /** CPU time per decision (µs), each round: the main (JavaScript) thread, the process. */
      cpu: { main: number; all: number }[];
      pid: number;
      counts?: OtlpCounts;
      inspector?: string;
    }[] = [];
    for (const key of keys) {
      const mode = MODES[key]!;
      let env: Record<string, string> = mode.env;
      let counts: OtlpCounts | undefined;
      if (Object.keys(mode.env).length > 0) {
        const sink = otlpSink(counts = emptyCounts());
        sinks.push(sink);
        env = { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.addr.port}` };
      }
      const { child, port, inspector } = await startAuthz(dir, env, args.profile !== undefined);
      children.push(child);
      const url = `http://127.0.0.1:${port}/orders/42`;
      await poll(async () => {
        const answer = await http1(`http://127.0.0.1:${port}`, "/orders/42", {
          headers: { host: HOST, authorization: `Bearer ${token}` },
        });
        return answer.status === 200 || undefined;
      }, { what: `apigw authz (${mode.name}) to allow`, timeoutMs: 30_000 });
      targets.push({
        key,
        name: mode.name,
        url,
        rates: [],
        cpu: [],
        pid: child.pid,
        ...(counts !== undefined ? { counts } : {}),
        ...(inspector !== undefined ? { inspector } : {}),
      });
    }
    for (let round = 1; round <= Number(args.runs); round++) {
      for (const target of targets) {
        const stop = round === 1 && target.inspector !== undefined
          ? await startProfile(target.inspector)
          : undefined;
        const before = cpuTimes(target.pid);
        const { rate, non2xx } = await runWrk({
          url: target.url,
          threads: args.threads!,
          connections: args.connections!,
          durationS: args.duration!,
          headers: { Host: HOST, Authorization: `Bearer ${token}` },
          ...(args.traceparent ? { script: `${ROOT}bench/tracing_traceparent.lua` } : {}),
        });
        if (non2xx !== undefined) throw new Error(`${target.name}: ${non2xx} non-2xx answers`);
        const after = cpuTimes(target.pid);
        target.rates.push(rate);
        const decisions = rate * Number(args.duration);
        const cpu = {
          main: (after.main - before.main) / decisions,
          all: (after.all - before.all) / decisions,
        };
        target.cpu.push(cpu);
        console.error(
          `round ${round}, ${target.name}: ${Math.round(rate)} decisions/s, CPU per decision ${
            cpu.main.toFixed(1)
          } µs main thread, ${cpu.all.toFixed(1)} µs process`,
        );
        if (stop !== undefined) report(target.key, target.name, await stop());
      }
    }
    // Deno exports metrics every OTEL_METRIC_EXPORT_INTERVAL (60 s) and at exit: stop the
    // processes before reading the counts so the last batches arrive.
    await stopAll(children);
    console.log(
      "| tracing | decisions/s per round | median | vs off | CPU µs/decision, main thread (process) | off/this, main thread |",
    );
    console.log("| --- | --- | ---: | ---: | ---: | ---: |");
    const off = targets.find((target) => target.key === "off");
    const offRate = off !== undefined ? median(off.rates) : NaN;
    const offCpu = off !== undefined ? median(off.cpu.map((cpu) => cpu.main)) : NaN;
    for (const target of targets) {
      const m = median(target.rates);
      const main = median(target.cpu.map((cpu) => cpu.main));
      const all = median(target.cpu.map((cpu) => cpu.all));
      console.log(
        `| ${target.name} | ${target.rates.map(Math.round).join(", ")} | ${Math.round(m)} | ${
          (100 * m / offRate).toFixed(1)
        } % | ${main.toFixed(1)} (${all.toFixed(1)}) | ${(100 * offCpu / main).toFixed(1)} % |`,
      );
    }
    console.log("\nWhat each traced mode exported (whole run):\n");
    for (const target of targets) {
      if (target.counts === undefined) continue;
      const { paths, spans, metrics, logRecords } = target.counts;
      const decisions = target.rates.reduce((sum, rate) => sum + rate * Number(args.duration), 0);
      console.log(`- ${target.name} (~${Math.round(decisions)} decisions):`);
      for (const [path, { exports, bytes }] of Object.entries(paths)) {
        console.log(`  - ${path}: ${exports} exports, ${bytes} bytes`);
      }
      for (const [name, count] of Object.entries(spans)) console.log(`  - span ${name}: ${count}`);
      const names = Object.keys(metrics);
      if (names.length > 0) console.log(`  - metrics: ${names.join(", ")}`);
      if (logRecords > 0) console.log(`  - log records: ${logRecords}`);
    }
    const recommended = targets.find((target) => target.key === "apigw-server");
    if (recommended !== undefined && off !== undefined) {
      const ratio = median(recommended.rates) / offRate;
      const cpuRatio = offCpu / median(recommended.cpu.map((cpu) => cpu.main));
      console.log(
        `\n1 % sampling (recommended settings) keeps ${
          (100 * ratio).toFixed(1)
        } % of the untraced throughput (goal ≥ 90 %: ${
          ratio >= 0.9 ? "met" : "NOT met"
        }); by main-thread CPU per decision ${(100 * cpuRatio).toFixed(1)} %.`,
      );
    }
  } finally {
    await stopAll(children);
    await jwks.shutdown();
    for (const sink of sinks) await sink.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

const TICK_US = 1e6 / 100; // USER_HZ: Linux reports /proc CPU times in 1/100 s

/**
 * CPU time (µs) the process has used so far: its main thread, where JavaScript and Deno.serve
 * run (task `pid`), and all its threads (Deno's OTLP exporter runs on another).
 */
function cpuTimes(pid: number): { main: number; all: number } {
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
  };
  return {
    main: ticks(Deno.readTextFileSync(`/proc/${pid}/task/${pid}/stat`)) * TICK_US,
    all: ticks(Deno.readTextFileSync(`/proc/${pid}/stat`)) * TICK_US,
  };
}

/** An OTLP/HTTP receiver that answers every export with an empty success and counts it. */
function otlpSink(counts: OtlpCounts): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const body = new Uint8Array(await request.arrayBuffer());
    try {
      countExport(counts, new URL(request.url).pathname, body);
    } catch (error) {
      console.error(`undecodable OTLP export: ${error}`);
    }
    return new Response(new Uint8Array(), {
      headers: { "content-type": "application/x-protobuf" },
    });
  });
}

function report(key: string, name: string, profile: CpuProfile): void {
  Deno.writeTextFileSync(`${args.profile}/${key}.cpuprofile`, JSON.stringify(profile));
  const { functions, origins } = shares(profile, ROOT);
  const top = (list: { name: string; percent: number }[], n: number) =>
    list.slice(0, n).map(({ name, percent }) => `    ${percent.toFixed(1).padStart(5)} %  ${name}`)
      .join("\n");
  console.error(`  CPU profile of ${name} (self time):\n  by origin:\n${top(origins, 10)}`);
  console.error(`  by function:\n${top(functions, 15)}`);
}

async function stopAll(children: Deno.ChildProcess[]): Promise<void> {
  for (const child of children.splice(0)) {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
  }
}

async function startAuthz(
  dir: string,
  env: Record<string, string>,
  inspect: boolean,
): Promise<{ child: Deno.ChildProcess; port: number; inspector?: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(inspect ? ["--inspect=127.0.0.1:0"] : []),
      `${ROOT}main.ts`,
      "authz",
      "--config",
      dir,
      "--listen",
      "127.0.0.1:0",
      "--management-listen",
      "127.0.0.1:0",
      "--log-level",
      "info",
    ],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).values();
  let rest = "";
  let inspector: string | undefined;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await lines.next();
    if (done) break;
    rest += value;
    const parts = rest.split("\n");
    rest = parts.pop()!;
    for (const line of parts) {
      inspector ??= /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
      try {
        const event = JSON.parse(line);
        if (event.msg === "Serving ext_authz") {
          void (async () => {
            while (!(await lines.next()).done) { /* drain */ }
          })();
          const port = Number(String(event.listen).split(":").at(-1));
          return { child, port, ...(inspector !== undefined ? { inspector } : {}) };
        }
      } catch { /* not JSON */ }
    }
  }
  child.kill("SIGTERM");
  await child.status;
  throw new Error("apigw authz did not start");
}

if (import.meta.main) await main();
