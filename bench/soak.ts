/**
 * Soak benchmark (bench/README.md, "soak"; not part of CI): `apigw serve` and `apigw authz`, both
 * on one config folder and one Redis, under a steady request rate for `--minutes` (default 30)
 * while the folder changes every `--config-every` seconds (10), the JWKS rotates every
 * `--jwks-every` seconds (60: a new key is published and signs the tokens from then on, the old
 * one stays published one more period) and Redis restarts once, half-way. Every `--interval`
 * seconds (5) it records each target's RSS (/proc), request count, p50/p99 and answers by status;
 * at the end it writes the JSON series and an SVG chart of RSS, p50/p99 and errors over time, and
 * prints the RSS slope after warm-up and the errors outside the Redis restart window.
 *
 *   deno run -A bench/soak.ts [--minutes 30] [--rate 100] [--out bench/.out/soak]
 *     [--v8-flags FLAGS]   # passed as --v8-flags=FLAGS to both apigw processes
 *
 * The global rate limit has `failureMode: closed`, so requests that need Redis while it is down
 * answer 503: those count as failure-mode answers inside the restart window, as errors outside.
 */
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { startRedis, type TestRedis } from "../tests/redis/redis.ts";
import { memoryOf } from "./_proc.ts";
import { SOAK_TARGETS, soakChart, type SoakSample, type Target } from "./_soak_chart.ts";
export type { SoakSample };

const ROOT = new URL("../", import.meta.url).pathname;
const args = parseArgs({
  args: Deno.args,
  options: {
    minutes: { type: "string", default: "30" },
    rate: { type: "string", default: "100" },
    interval: { type: "string", default: "5" },
    "config-every": { type: "string", default: "10" },
    "jwks-every": { type: "string", default: "60" },
    "warmup-minutes": { type: "string" },
    "redis-down-seconds": { type: "string", default: "5" },
    out: { type: "string", default: `${ROOT}bench/.out/soak` },
    "v8-flags": { type: "string" },
  },
}).values;
const DURATION_MS = Number(args.minutes) * 60_000;
const RATE = Number(args.rate); // requests per second and target
const INTERVAL_MS = Number(args.interval) * 1000;
const WARMUP_MS = args["warmup-minutes"] === undefined
  ? Math.min(5 * 60_000, DURATION_MS / 5)
  : Number(args["warmup-minutes"]) * 60_000;
const HOST = "api.soak.local";
const ISSUER = "https://soak.apigw.localhost";
const TARGETS = SOAK_TARGETS;

/** One interval of one target. */
interface Window {
  latencies: number[];
  statuses: Record<string, number>;
}

const children: Deno.ChildProcess[] = [];

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-soak-" });
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok"),
  );
  const keys = new KeyRing();
  await keys.rotate();
  const jwks = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ keys: keys.published() }),
  );
  let redis: TestRedis | undefined = await startRedis();
  const redisPort = redis.port;
  let configVersion = 0;
  const writeConfig = () =>
    Deno.writeTextFile(
      `${dir}/config.yaml`,
      configYaml(upstream.addr.port, jwks.addr.port, ++configVersion),
    );
  await writeConfig();
  const stop = new AbortController();
  const samples: SoakSample[] = [];
  let redisWindow: { from: number; to: number } | undefined;
  try {
    const serve = await startApigw("serve", [
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
      "--redis-url",
      redis.url,
    ], (e) => e.msg === "Serving gateway" ? portOf(e.listen) : undefined);
    const authz = await startApigw("authz", [
      "authz",
      "--config",
      dir,
      "--redis-url",
      redis.url,
      "--listen",
      "127.0.0.1:0",
      "--management-listen",
      "127.0.0.1:0",
    ], (e) => e.msg === "Serving ext_authz" ? portOf(e.listen) : undefined);
    const proxyClient = Deno.createHttpClient({ proxy: { url: `http://${serve.address}` } });
    const send: Record<Target, (path: string, token: string) => Promise<number>> = {
      // fetch cannot set Host: the gateway as an HTTP proxy keeps the URL's host.
      serve: (path, token) =>
        fetch(`http://${HOST}${path}`, {
          client: proxyClient,
          headers: { authorization: `Bearer ${token}`, "x-api-key": "soak" },
        }).then(async (r) => (await r.body?.cancel(), r.status)),
      authz: (path, token) =>
        fetch(`http://${authz.address}${path}`, {
          headers: { host: HOST, authorization: `Bearer ${token}`, "x-api-key": "soak" },
        }).then(async (r) => (await r.body?.cancel(), r.status)),
    };
    // The first checks connect to Redis and fetch the JWKS: a few tries before it must answer.
    for (const target of TARGETS) {
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        if (i > 0) await sleep(200, stop.signal);
        status = await send[target]("/private/probe", await keys.token());
      }
      if (status !== 200) throw new Error(`${target} answered the probe with ${status}`);
    }

    const windows = Object.fromEntries(TARGETS.map((t) => [t, newWindow()])) as Record<
      Target,
      Window
    >;
    const events: string[] = [];
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    let token = await keys.token();
    const loads = TARGETS.map((target) =>
      steady(RATE, stop.signal, async (i) => {
        const path = i % 2 === 0 ? `/private/items/${i % 100}` : `/public/items/${i % 100}`;
        const begun = performance.now();
        let status: string;
        try {
          status = String(await send[target](path, token));
        } catch {
          status = "network";
        }
        const window = windows[target];
        window.latencies.push(performance.now() - begun);
        window.statuses[status] = (window.statuses[status] ?? 0) + 1;
      })
    );
    const timers = [
      setInterval(
        () => void writeConfig().then(() => events.push("config")),
        Number(args["config-every"]) * 1000,
      ),
      setInterval(async () => {
        await keys.rotate();
        token = await keys.token();
        events.push("jwks");
      }, Number(args["jwks-every"]) * 1000),
      setInterval(() => {
        const t = elapsed();
        const sample: SoakSample = {
          t: Math.round(t / 100) / 10,
          targets: {} as SoakSample["targets"],
          events: events.splice(0),
        };
        const inRedisWindow = redisWindow !== undefined && t >= redisWindow.from &&
          t - INTERVAL_MS <= redisWindow.to;
        for (const target of TARGETS) {
          const w = windows[target];
          windows[target] = newWindow();
          const sorted = w.latencies.sort((a, b) => a - b);
          const failureMode = inRedisWindow ? w.statuses["503"] ?? 0 : 0;
          const ok = w.statuses["200"] ?? 0;
          sample.targets[target] = {
            rssMiB: round(
              (memoryOf(target === "serve" ? serve.pid : authz.pid)?.rss ?? 0) / 1048576,
            ),
            requests: sorted.length,
            p50Ms: round(percentile(sorted, 50)),
            p99Ms: round(percentile(sorted, 99)),
            statuses: w.statuses,
            errors: sorted.length - ok - failureMode,
            failureMode,
          };
        }
        samples.push(sample);
        const line = TARGETS.map((t) => {
          const s = sample.targets[t];
          const other = Object.entries(s.statuses).filter(([code]) => code !== "200")
            .map(([code, n]) => `${code}×${n}`).join(" ");
          return `${t} ${s.rssMiB} MiB p99 ${s.p99Ms} ms ${s.requests} req ${s.errors} err${
            other ? ` (${other})` : ""
          }`;
        }).join(" | ");
        console.log(
          `${sample.t.toFixed(0)} s ${line}${
            sample.events.length ? " " + sample.events.join(",") : ""
          }`,
        );
      }, INTERVAL_MS),
    ];
    // Redis restarts once, half-way.
    await sleep(DURATION_MS / 2, stop.signal);
    redisWindow = { from: elapsed(), to: Infinity };
    events.push("redis-down");
    await redis.stop();
    redis = undefined;
    await sleep(Number(args["redis-down-seconds"]) * 1000, stop.signal);
    redis = await startRedis({ port: redisPort });
    events.push("redis-up");
    // Clients reconnect with backoff: the window ends 30 s after Redis is back.
    redisWindow = { from: redisWindow.from, to: elapsed() + 30_000 };
    await sleep(Math.max(0, DURATION_MS - elapsed()), stop.signal);
    for (const timer of timers) clearInterval(timer);
    stop.abort();
    await Promise.all(loads);
    proxyClient.close();
  } finally {
    stop.abort();
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    }
    await redis?.stop();
    await upstream.shutdown();
    await jwks.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
  const summary = summarise(samples, redisWindow);
  await Deno.mkdir(args.out!, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const json = `${args.out}/soak-${stamp}.json`;
  const svg = `${args.out}/soak-${stamp}.svg`;
  await Deno.writeTextFile(json, JSON.stringify({ options: args, summary, samples }, null, 1));
  await Deno.writeTextFile(svg, soakChart(samples, { title: `apigw soak, ${args.minutes} min` }));
  console.log(JSON.stringify(summary));
  console.log(`Wrote ${json} and ${svg}`);
}

/** RSS slope after warm-up (least squares, MiB per hour) and the error totals. */
function summarise(
  samples: readonly SoakSample[],
  redisWindow: { from: number; to: number } | undefined,
) {
  const after = samples.filter((s) => s.t * 1000 >= WARMUP_MS);
  return {
    minutes: Number(args.minutes),
    ratePerTarget: RATE,
    warmupMinutes: WARMUP_MS / 60_000,
    redisWindowSeconds: redisWindow === undefined
      ? undefined
      : [round(redisWindow.from / 1000), round(redisWindow.to / 1000)],
    targets: Object.fromEntries(TARGETS.map((target) => {
      const points = after.map((s) => [s.t / 3600, s.targets[target].rssMiB] as const);
      const sorted = samples.map((s) => s.targets[target].p99Ms).sort((a, b) => a - b);
      return [target, {
        requests: samples.reduce((n, s) => n + s.targets[target].requests, 0),
        errors: samples.reduce((n, s) => n + s.targets[target].errors, 0),
        failureModeAnswers: samples.reduce((n, s) => n + s.targets[target].failureMode, 0),
        rssMiB: {
          first: samples[0]?.targets[target].rssMiB,
          max: Math.max(...samples.map((s) => s.targets[target].rssMiB)),
          last: samples.at(-1)?.targets[target].rssMiB,
        },
        rssSlopeAfterWarmupMiBPerHour: round(slope(points)),
        worstIntervalP99Ms: sorted.at(-1),
      }];
    })),
  };
}

/** Calls `fn(i)` `rate` times per second until `signal` aborts, never more than 64 at once. */
async function steady(rate: number, signal: AbortSignal, fn: (i: number) => Promise<void>) {
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  for (let i = 0; !signal.aborted; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait, signal);
    if (signal.aborted) break;
    if (pending.size >= 64) await Promise.race(pending);
    const call: Promise<void> = fn(i).finally(() => pending.delete(call));
    pending.add(call);
  }
  await Promise.all(pending);
}

class KeyRing {
  #keys: Array<{ jwk: JWK; privateKey: CryptoKey; kid: string }> = [];

  async rotate(): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
    const kid = crypto.randomUUID();
    const jwk = { ...await exportJWK(publicKey), kid, alg: "ES256", use: "sig" };
    // The previous key stays published one more period: tokens signed by it are still valid.
    this.#keys = [{ jwk, privateKey: privateKey as CryptoKey, kid }, ...this.#keys.slice(0, 1)];
  }

  published(): JWK[] {
    return this.#keys.map((k) => k.jwk);
  }

  token(): Promise<string> {
    const current = this.#keys[0]!;
    return new SignJWT({ scope: "read" })
      .setProtectedHeader({ alg: "ES256", kid: current.kid })
      .setIssuer(ISSUER)
      .setSubject("soak")
      .setIssuedAt()
      .setExpirationTime("2h")
      .sign(current.privateKey);
  }
}

function configYaml(upstreamPort: number, jwksPort: number, version: number): string {
  const labels = { app: "soak" };
  const objects = [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { namespace: "soak", name: "upstream", labels },
      spec: {
        type: "ExternalName",
        externalName: "127.0.0.1",
        ports: [{ port: upstreamPort }],
        selector: labels,
      },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        namespace: "soak",
        name: "upstream-0",
        labels,
        annotations: { "sidecar.istio.io/status": "{}" },
      },
      spec: { containers: [{ name: "upstream" }, { name: "istio-proxy" }] },
      status: { podIP: "127.0.0.1" },
    },
    {
      apiVersion: "gateway.kyma-project.io/v2",
      kind: "APIRule",
      // The annotation changes with every write: each one is a real reload.
      metadata: {
        namespace: "soak",
        name: "api",
        annotations: { "soak/version": String(version) },
      },
      spec: {
        hosts: [HOST],
        gateway: "kyma-system/kyma-gateway",
        service: { name: "upstream", port: upstreamPort },
        rules: [
          {
            path: "/private/{**}",
            methods: ["GET"],
            jwt: {
              authentications: [{
                issuer: ISSUER,
                jwksUri: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json`,
              }],
              authorizations: [{ requiredScopes: ["read"] }],
            },
          },
          { path: `/v${version}/{**}`, methods: ["GET"], noAuth: true },
          { path: "/{**}", methods: ["GET"], noAuth: true },
        ],
      },
    },
    {
      apiVersion: "gateway.kyma-project.io/v1alpha1",
      kind: "RateLimit",
      metadata: { namespace: "soak", name: "soak" },
      spec: {
        selectorLabels: labels,
        local: {
          defaultBucket: { maxTokens: 1_000_000, tokensPerFill: 1_000_000, fillInterval: "1s" },
        },
        global: {
          key: { header: { name: "x-api-key" } },
          failureMode: "closed",
          defaultBucket: { maxTokens: 1_000_000, tokensPerFill: 1_000_000, fillInterval: "1s" },
        },
      },
    },
  ];
  return objects.map((o) => stringify(o)).join("---\n");
}

/** Spawns `deno run -A main.ts argv…`; resolves once a JSON log line names its address. */
async function startApigw(
  name: string,
  argv: string[],
  ready: (event: Record<string, unknown>) => string | undefined,
): Promise<{ pid: number; address: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(args["v8-flags"] !== undefined ? [`--v8-flags=${args["v8-flags"]}`] : []),
      `${ROOT}main.ts`,
      ...argv,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  children.push(child);
  const { promise, resolve } = Promise.withResolvers<string>();
  for (const stream of [child.stdout, child.stderr]) {
    (async () => {
      let buffer = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) {
          let event: Record<string, unknown> | undefined;
          try {
            event = JSON.parse(line);
          } catch { /* not JSON */ }
          const address = event === undefined ? undefined : ready(event);
          if (address !== undefined) resolve(address);
          else if (event?.level === "error" || event?.level === "warn") {
            console.error(`${name}: ${line}`);
          }
        }
      }
    })();
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`apigw ${name} did not start`)), 60_000);
  });
  try {
    return { pid: child.pid, address: await Promise.race([promise, timeout]) };
  } finally {
    clearTimeout(timer);
  }
}

/** `127.0.0.1:<port>` of a logged listen address (`host:port` or a URL). */
function portOf(listen: unknown): string | undefined {
  const port = /:(\d+)\/?$/.exec(String(listen))?.[1];
  return port === undefined ? undefined : `127.0.0.1:${port}`;
}

function newWindow(): Window {
  return { latencies: [], statuses: {} };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Least-squares slope of `points` (x, y). */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

if (import.meta.main) await main();
