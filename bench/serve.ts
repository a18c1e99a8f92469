/**
 * The gateway benchmark (bench/README.md "serve"): proxied requests/s and p99 with wrk, through
 * `apigw serve` (a separate process, a noAuth rule and a jwt rule with a cached token), nginx
 * `proxy_pass` (Debian, 1 worker, upstream keep-alive), Caddy v2.11.9 `reverse_proxy`
 * (GOMAXPROCS=1 and 2; built from the Go module proxy into
 * `~/.cache/apigw-bench/caddy-v2.11.9/` on first use) and two bare Deno proxies (`fetch`, and
 * apigw's own HTTP/1.1 client: `bench/serve_bare.ts`), all in front of the same upstream (a
 * second nginx answering a small 200).
 *
 *   deno run -A bench/serve.ts [--duration 10] [--connections 32] [--threads 1] [--runs 1]
 *     [--only nginx,caddy-1,caddy-2,bare,bare-http1,apigw,apigw-fetch,apigw-jwt]
 *     [--profile DIR] [--v8-flags FLAGS]
 *
 * Every target is started and checked once for a 200 through it, then measured: with `--runs N`
 * the targets alternate within each run (run 1 of every target, then run 2, …). It prints every
 * run with the 1-minute load average before it, then per target the median, the spread
 * ((max − min) / median) and the load averages, the ratios of `apigw serve` (noAuth, HTTP/1.1
 * client) to the others (median of the per-run ratios), the HTTP/1.1 client's gain over the
 * fetch client, and the RSS of the `apigw serve` process (its config Worker is a thread of it)
 * idle before the first run and at most during its runs.
 *
 * `--profile DIR` starts the Deno targets with `--inspect` and takes a CPU profile of each during
 * its first run (`bench/_cpu_profile.ts`; `.cpuprofile` files in DIR, shares by origin and by
 * function printed), and prints where `apigw serve`'s memory is before and after the runs: RSS split
 * by /proc (anonymous, file), and the main isolate's V8 heap (`Deno.memoryUsage()`, through the
 * inspector). `--v8-flags FLAGS` adds a target `apigw-v8`: a second `apigw serve` (noAuth) started
 * with `--v8-flags=FLAGS` (e.g. `--max-semi-space-size=4`, to see what the young generation adds to
 * RSS under load and what it costs), measured alternately with the others, with its own RSS line.
 */
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { loadDevKey } from "../proxy/gateway/dev_key.ts";
import { ensureNginxInstalled, startNginx, type TestNginx } from "../tests/nginx/nginx.ts";
import { median, runWrk } from "./_wrk.ts";
import { type CpuProfile, evaluate, type Share, shares, startProfile } from "./_cpu_profile.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const CADDY_VERSION = "v2.11.9";
const args = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "1" },
    only: { type: "string" },
    runs: { type: "string", default: "1" },
    profile: { type: "string" },
    "v8-flags": { type: "string" },
    caddy: {
      type: "string",
      default: `${Deno.env.get("HOME")}/.cache/apigw-bench/caddy-${CADDY_VERSION}`,
    },
  },
}).values;
const HOST = "api.bench.local";
const BODY = "x".repeat(256);
const children: Deno.ChildProcess[] = [];
const RUNS = Math.max(1, Number(args.runs) || 1);

interface Target {
  key: string;
  name: string;
  /** Base URL; `/items/42` (or `/private` with a token) is requested. */
  base: string;
  token?: string;
  /** The process whose RSS is sampled while it is measured. */
  pid?: number;
  /** Its inspector's WebSocket URL, with `--profile`. */
  inspector?: string;
}

interface Run {
  rate: number;
  p50: string;
  p99: string;
  load: number;
  /** Largest RSS sampled during the run (bytes), for targets with a pid. */
  rss?: number;
}

async function main(): Promise<void> {
  await ensureNginxInstalled(console.error);
  const nginxes: TestNginx[] = [];
  const dir = await Deno.makeTempDir({ prefix: "apigw-bench-serve-" });
  const wanted = (key: string) => args.only === undefined || args.only.split(",").includes(key);
  const targets: Target[] = [];
  const runs = new Map<string, Run[]>();
  const idleRss = new Map<number, number>();
  let jwks: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    const upstream = await startNginx((port) =>
      `server { listen 127.0.0.1:${port}; access_log off; keepalive_requests 1000000;
        location / { default_type text/plain; return 200 "${BODY}"; } }`
    );
    nginxes.push(upstream);
    if (wanted("nginx")) {
      const proxy = await startNginx((port) =>
        `upstream app { server 127.0.0.1:${upstream.port}; keepalive 64; }
        server { listen 127.0.0.1:${port}; access_log off; keepalive_requests 1000000;
          location / { proxy_pass http://app; proxy_http_version 1.1;
            proxy_set_header Connection ""; proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } }`
      );
      nginxes.push(proxy);
      targets.push({ key: "nginx", name: "nginx proxy_pass (1 worker)", base: proxy.url });
    }
    for (const procs of [1, 2]) {
      if (!wanted(`caddy-${procs}`)) continue;
      const caddy = await ensureCaddy();
      const port = await startCaddy(caddy, upstream.port, procs, dir);
      targets.push({
        key: `caddy-${procs}`,
        name: `Caddy ${CADDY_VERSION} reverse_proxy (GOMAXPROCS=${procs})`,
        base: `http://127.0.0.1:${port}`,
      });
    }
    for (const client of ["fetch", "http1"] as const) {
      const key = client === "fetch" ? "bare" : "bare-http1";
      if (!wanted(key)) continue;
      const { port, inspector } = await startChild(
        ["run", "-A", ...INSPECT, `${ROOT}bench/serve_bare.ts`, upstream.url, client],
        (event) => event.port,
      );
      targets.push({
        key,
        name: client === "fetch"
          ? "bare Deno fetch proxy"
          : "bare Deno proxy, apigw's HTTP/1.1 client",
        base: `http://127.0.0.1:${port}`,
        ...(inspector !== undefined ? { inspector } : {}),
      });
    }
    if (wanted("apigw") || wanted("apigw-jwt") || wanted("apigw-fetch")) {
      const key = await loadDevKey(`${dir}/state`);
      jwks = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        () => Response.json({ keys: [key.publicJwk] }),
      );
      await Deno.writeTextFile(`${dir}/config.yaml`, configYaml(upstream.port, jwks.addr.port));
      if (wanted("apigw") || wanted("apigw-jwt")) {
        const { port, pid, inspector } = await startApigw(dir, []);
        const base = `http://127.0.0.1:${port}`;
        if (wanted("apigw")) {
          targets.push({
            key: "apigw",
            name: APIGW,
            base,
            pid,
            ...(inspector !== undefined ? { inspector } : {}),
          });
        }
        if (wanted("apigw-jwt")) {
          const token = await key.sign({ sub: "bench", scope: "read" }, {
            ttlSeconds: 7200,
            now: Date.now(),
          });
          targets.push({
            key: "apigw-jwt",
            name: "apigw serve, jwt rule (ES256, cached)",
            base,
            token,
            pid,
          });
        }
      }
      if (args["v8-flags"] !== undefined) {
        const flags = `--v8-flags=${args["v8-flags"]}`;
        const { port, pid } = await startApigw(dir, [], [flags]);
        const base = `http://127.0.0.1:${port}`;
        targets.push({ key: "apigw-v8", name: `${APIGW}, ${flags}`, base, pid });
      }
      if (wanted("apigw-fetch")) {
        const { port } = await startApigw(dir, ["--upstream-client", "fetch"]);
        targets.push({ key: "apigw-fetch", name: APIGW_FETCH, base: `http://127.0.0.1:${port}` });
      }
    }
    for (const target of targets) await probe(target);
    const serve = targets.find((t) => t.pid !== undefined);
    // After the probe: the config Worker has read the folder, the first request was answered.
    for (const { pid } of targets) if (pid !== undefined) idleRss.set(pid, treeRss(pid));
    if (serve?.inspector !== undefined) memory.push(await memorySplit("idle", serve));
    for (let run = 0; run < RUNS; run++) {
      for (const target of targets) {
        const stop = run === 0 && target.inspector !== undefined
          ? await startProfile(target.inspector)
          : undefined;
        runs.set(target.key, [...runs.get(target.key) ?? [], await measure(target)]);
        if (stop !== undefined) profiles.push({ target, profile: await stop() });
      }
    }
    if (serve?.inspector !== undefined) memory.push(await memorySplit("after the runs", serve));
  } finally {
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    }
    for (const nginx of nginxes) await nginx.stop();
    await jwks?.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
  report(targets, runs, idleRss);
  for (const { target, profile } of profiles) reportProfile(target, profile);
  for (const line of memory) console.log(line);
}

const INSPECT = args.profile === undefined ? [] : ["--inspect=127.0.0.1:0"];
const profiles: { target: Target; profile: CpuProfile }[] = [];
const memory: string[] = [];

function reportProfile(target: Target, profile: CpuProfile): void {
  Deno.mkdirSync(args.profile!, { recursive: true });
  Deno.writeTextFileSync(`${args.profile}/${target.key}.cpuprofile`, JSON.stringify(profile));
  const { functions, origins } = shares(profile, ROOT);
  const top = (list: Share[], n: number) =>
    list.slice(0, n).map((s) => `  ${s.percent.toFixed(1)} % ${s.name}`).join("\n");
  console.log(
    `\nCPU profile of ${target.name}, first run (self time; ${args.profile}/${target.key}.cpuprofile)` +
      `\nby origin:\n${top(origins, 12)}\nby function:\n${top(functions, 25)}`,
  );
}

/** Where `target`'s memory is: RSS by /proc and its main isolate's V8 heap, one line. */
async function memorySplit(when: string, target: Target): Promise<string> {
  const status = Deno.readTextFileSync(`/proc/${target.pid}/status`);
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  const usage = "JSON.stringify(Deno.memoryUsage())";
  const heap = JSON.parse(String(await evaluate(target.inspector!, usage))) as Usage;
  const afterGc = JSON.parse(String(await evaluate(target.inspector!, usage, true))) as Usage;
  const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
  return `apigw serve memory ${when}: RSS ${mib(kib("VmRSS") * 1024)} (anonymous ${
    mib(kib("RssAnon") * 1024)
  }, file ${mib(kib("RssFile") * 1024)}); main isolate heap total ${mib(heap.heapTotal)}, used ${
    mib(heap.heapUsed)
  }, external ${mib(heap.external)}; after a full GC: heap total ${mib(afterGc.heapTotal)}, used ${
    mib(afterGc.heapUsed)
  }`;
}

type Usage = Record<"heapTotal" | "heapUsed" | "external", number>;

const APIGW = "apigw serve, noAuth rule";
const APIGW_FETCH = "apigw serve, noAuth rule, fetch client";

function report(targets: Target[], runs: Map<string, Run[]>, idleRss: Map<number, number>): void {
  const rows = (key: string) => runs.get(key) ?? [];
  console.log("| target | run | requests/s | p50 | p99 | load avg (1 min) |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const target of targets) {
    for (const [i, run] of rows(target.key).entries()) {
      console.log(
        `| ${target.name} | ${i + 1} | ${Math.round(run.rate)} | ${run.p50} | ${run.p99} | ${
          run.load.toFixed(2)
        } |`,
      );
    }
  }
  console.log(`\n| target | requests/s of ${RUNS} runs | median | spread | load avg |`);
  console.log("| --- | --- | ---: | ---: | --- |");
  for (const target of targets) {
    const rates = rows(target.key).map((r) => r.rate);
    const loads = rows(target.key).map((r) => r.load);
    const mid = median(rates);
    const spread = (Math.max(...rates) - Math.min(...rates)) / mid * 100;
    console.log(
      `| ${target.name} | ${rates.map(Math.round).join(", ")} | ${Math.round(mid)} | ${
        spread.toFixed(1)
      } % | ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} |`,
    );
  }
  const apigw = rows("apigw");
  if (apigw.length > 0) {
    console.log(`\n| apigw serve (noAuth) vs | median of per-run ratios | goal |`);
    console.log("| --- | ---: | --- |");
    const goals: Record<string, string> = {
      "bare-http1": "≥ 85 %",
      nginx: "≥ 40 % (moonshot 50 %)",
    };
    for (const target of targets) {
      if (target.key === "apigw" || target.key === "apigw-jwt") continue;
      if (target.key === "apigw-v8") continue;
      const other = rows(target.key);
      const ratios = apigw.map((run, i) => run.rate / (other[i]?.rate ?? NaN));
      console.log(
        `| ${target.name} | ${(median(ratios) * 100).toFixed(1)} % | ${goals[target.key] ?? ""} |`,
      );
    }
  }
  const viaFetch = rows("apigw-fetch");
  if (apigw.length > 0 && viaFetch.length > 0) {
    const gain = (median(apigw.map((r) => r.rate)) / median(viaFetch.map((r) => r.rate)) - 1) *
      100;
    console.log(
      `\nHTTP/1.1 client vs fetch client (median of ${RUNS}): ${gain >= 0 ? "+" : ""}${
        gain.toFixed(1)
      } % (issue 14 keeps the client only at ≥ +10 %)`,
    );
  }
  const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
  for (const keys of [["apigw", "apigw-jwt"], ["apigw-v8"]]) {
    const measured = targets.filter((t) => keys.includes(t.key));
    const idle = idleRss.get(measured[0]?.pid ?? -1);
    const loaded = measured.flatMap((t) => rows(t.key)).flatMap((r) => r.rss ?? []);
    if (idle === undefined || loaded.length === 0) continue;
    const peak = Math.max(...loaded);
    console.log(
      `\n${measured[0]!.name} RSS (process tree, config Worker included): idle ${mib(idle)} MiB, ` +
        `at most ${mib(peak)} MiB under load, growth ${mib(peak - idle)} MiB (goal ≤ 50 MiB)`,
    );
  }
}

function configYaml(upstreamPort: number, jwksPort: number): string {
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: "bench", name: "upstream", labels: { app: "upstream" } },
    spec: { type: "ExternalName", externalName: "127.0.0.1", ports: [{ port: upstreamPort }] },
  };
  const rule = {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: { namespace: "bench", name: "api" },
    spec: {
      hosts: [HOST],
      gateway: "kyma-system/kyma-gateway",
      service: { name: "upstream", port: upstreamPort },
      rules: [
        {
          path: "/private",
          methods: ["GET"],
          jwt: {
            authentications: [{
              issuer: "https://dev.apigw.localhost",
              jwksUri: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json`,
            }],
            authorizations: [{ requiredScopes: ["read"] }],
          },
        },
        { path: "/{**}", methods: ["GET"], noAuth: true },
      ],
    },
  };
  return [service, rule].map((o) => stringify(o)).join("---\n");
}

/** The target answers the benchmark request with the upstream's body, or this throws. */
async function probe(target: Target): Promise<void> {
  // fetch cannot set Host: check through the target as an HTTP proxy, which keeps it.
  const client = Deno.createHttpClient({ proxy: { url: target.base } });
  try {
    const path = target.token === undefined ? "/items/42" : "/private";
    const answer = await fetch(`http://${HOST}${path}`, {
      client,
      headers: target.token === undefined ? {} : { authorization: `Bearer ${target.token}` },
    });
    const text = await answer.text();
    if (answer.status !== 200 || text !== BODY) {
      throw new Error(
        `${target.name} did not proxy the benchmark request: ${answer.status} ${text}`,
      );
    }
  } finally {
    client.close();
  }
}

async function measure(target: Target): Promise<Run> {
  const url = `${target.base}${target.token === undefined ? "/items/42" : "/private"}`;
  // wrk adds its own Host unless one is given spelled "Host".
  const headers: Record<string, string> = { Host: HOST };
  if (target.token !== undefined) headers.authorization = `Bearer ${target.token}`;
  const load = loadAverage();
  let rss = 0;
  const sampler = target.pid === undefined ? undefined : setInterval(() => {
    rss = Math.max(rss, treeRss(target.pid!));
  }, 200);
  const { text: out, rate, p50, p99, non2xx } = await runWrk({
    url,
    threads: args.threads!,
    connections: args.connections!,
    durationS: args.duration!,
    headers,
    script: `${ROOT}bench/serve_status.lua`,
  }).finally(() => clearInterval(sampler));
  const failed = /Socket errors: (.*)/.exec(out)?.[1];
  const statuses = [...out.matchAll(/^status (\d+): (.*)$/gm)].map(([, s, b]) => `${s} ${b}`);
  console.error(
    `${target.name}: ${rate} req/s, p50 ${p50}, p99 ${p99}, load ${load.toFixed(2)}${
      non2xx ? `, ${non2xx} non-2xx` : ""
    }${failed ? `, socket errors ${failed}` : ""}${
      rss > 0 ? `, RSS ≤ ${(rss / 1048576).toFixed(1)} MiB` : ""
    } (${statuses.join(", ")})`,
  );
  return { rate, p50, p99, load, ...(target.pid !== undefined ? { rss } : {}) };
}

function startApigw(
  dir: string,
  extra: string[],
  denoFlags: string[] = [],
): Promise<{ port: number; pid: number; inspector?: string }> {
  return startChild(
    [
      "run",
      "-A",
      ...INSPECT,
      ...denoFlags,
      `${ROOT}main.ts`,
      "serve",
      "--config",
      dir,
      "--listen",
      "127.0.0.1:0",
      "--management-listen",
      "127.0.0.1:0",
      "--access-log",
      "off",
      "--state-dir",
      `${dir}/state`,
      ...extra,
    ],
    (event) =>
      event.msg === "Serving gateway"
        ? Number(/:(\d+)$/.exec(String(event.listen))?.[1])
        : undefined,
  );
}

/** Spawns `deno argv…`; resolves with the port the first JSON line `ready` accepts names. */
async function startChild(
  argv: string[],
  ready: (event: Record<string, unknown>) => unknown,
): Promise<{ port: number; pid: number; inspector?: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: argv,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  children.push(child);
  const { promise: port, resolve: found } = Promise.withResolvers<number>();
  let inspector: string | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    (async () => {
      let buffer = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) {
          inspector ??= /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
          try {
            const value = ready(JSON.parse(line));
            if (typeof value === "number" && value > 0) found(value);
          } catch { /* not JSON */ }
        }
      }
    })();
  }
  const listening = await withTimeout(port, `deno ${argv.join(" ")} did not start`);
  return { port: listening, pid: child.pid, ...(inspector !== undefined ? { inspector } : {}) };
}

/**
 * The Caddy binary of `--caddy`, built on first use from the Go module proxy (benchmark only,
 * niced; needs `go`): `GOBIN=<dir> go install github.com/caddyserver/caddy/v2/cmd/caddy@v2.11.9`.
 */
async function ensureCaddy(): Promise<string> {
  const binary = `${args.caddy}/caddy`;
  try {
    if ((await Deno.stat(binary)).isFile) return binary;
  } catch { /* not built yet */ }
  console.error(`Building Caddy ${CADDY_VERSION} into ${args.caddy} (a few minutes)…`);
  await Deno.mkdir(args.caddy!, { recursive: true });
  const built = await new Deno.Command("nice", {
    args: [
      "-n",
      "10",
      "go",
      "install",
      "-trimpath",
      `github.com/caddyserver/caddy/v2/cmd/caddy@${CADDY_VERSION}`,
    ],
    env: { GOBIN: args.caddy!, CGO_ENABLED: "0", GOTOOLCHAIN: "local" },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!built.success) throw new Error(`Cannot build Caddy ${CADDY_VERSION}: go install failed`);
  return binary;
}

/** Caddy's `reverse_proxy` to the upstream on a free port, access log off (its default). */
async function startCaddy(
  binary: string,
  upstreamPort: number,
  procs: number,
  dir: string,
): Promise<number> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const config = `${dir}/Caddyfile-${procs}`;
  await Deno.writeTextFile(
    config,
    `{
  admin off
  auto_https off
  persist_config off
}
http://:${port} {
  bind 127.0.0.1
  reverse_proxy 127.0.0.1:${upstreamPort}
}
`,
  );
  const child = new Deno.Command(binary, {
    args: ["run", "--config", config, "--adapter", "caddyfile"],
    env: { GOMAXPROCS: String(procs), XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  children.push(child);
  await withTimeout(
    (async () => {
      while (true) {
        try {
          (await Deno.connect({ hostname: "127.0.0.1", port })).close();
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    })(),
    `Caddy (GOMAXPROCS=${procs}) did not listen on ${port}`,
  );
  return port;
}

function withTimeout<T>(work: Promise<T>, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), 30_000);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The 1-minute load average. */
function loadAverage(): number {
  return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
}

/** RSS (bytes) of `pid` and its descendants, from /proc (Workers are threads of the process). */
function treeRss(pid: number): number {
  let total = 0;
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    total += Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const kids = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      for (const child of kids === "" ? [] : kids.split(" ")) total += treeRss(Number(child));
    }
  } catch { /* gone */ }
  return total;
}

if (import.meta.main) await main();
