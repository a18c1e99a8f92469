/**
 * The authz benchmark (bench/README.md): JWT decisions/s and p99 with wrk, for
 * `apigw authz` (a separate process, deciding from a folder), the OPA peer (REST data API with
 * an equivalent Rego policy, JWKS inlined) and a bare `Deno.serve` 200 as the ceiling.
 *
 *   deno run -A bench/authz.ts [--duration 10] [--connections 32] [--threads 1] [--opa PATH]
 *     [--only bare,apigw,apigw-nocache,opa] [--runs 1]
 *
 * Every target is started and checked once for the expected allow, then measured: with
 * `--runs N` the targets alternate within each run. It prints every run with the 1-minute load
 * average before it, per target the median, spread ((max − min) / median) and load averages,
 * and `apigw authz` against bare `Deno.serve` (median of the per-run ratios; issue 14: ≥ 60 %).
 * Everything runs on loopback and stops by itself.
 */
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { HOST, rulesYaml } from "./_jwt_rules.ts";
import { http1 } from "../tests/authz/http1.ts";
import { poll } from "../tests/poll.ts";
import { median, runWrk } from "./_wrk.ts";
import { freePort } from "../tests/cluster/_ports.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const args = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "1" },
    opa: { type: "string", default: `${Deno.env.get("HOME")}/.cache/apigw-bench/opa` },
    only: { type: "string" },
    runs: { type: "string", default: "1" },
  },
}).values;
const RUNS = Math.max(1, Number(args.runs) || 1);

interface Target {
  key: string;
  name: string;
  url: string;
  script?: string;
}

interface Run {
  rate: number;
  p50: string;
  p99: string;
  load: number;
}

const children: Deno.ChildProcess[] = [];

async function main(): Promise<void> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: "RS256", use: "sig" };
  const jwks = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ keys: [jwk] }),
  );
  const issuer = `http://127.0.0.1:${jwks.addr.port}`;
  const token = await new SignJWT({ iss: issuer, sub: "bench", scope: "orders:read orders:write" })
    .setProtectedHeader({ alg: "RS256", kid: "bench" })
    .setExpirationTime("2h")
    .sign(privateKey);
  const dir = await Deno.makeTempDir({ prefix: "apigw-bench-" });
  const targets: Target[] = [];
  const runs = new Map<string, Run[]>();
  try {
    await Deno.writeTextFile(`${dir}/rules.yaml`, rulesYaml(issuer));
    await Deno.writeTextFile(`${dir}/data.json`, JSON.stringify({ jwks: { keys: [jwk] }, issuer }));
    const wanted = (name: string) => args.only === undefined || args.only.split(",").includes(name);
    if (wanted("bare")) {
      const bare = await startChild(
        Deno.execPath(),
        ["run", "-A", `${ROOT}bench/authz_bare.ts`],
        (line) => {
          const port = JSON.parse(line).port;
          return typeof port === "number" ? port : undefined;
        },
      );
      targets.push({
        key: "bare",
        name: "bare Deno.serve 200",
        url: `http://127.0.0.1:${bare}/orders/42`,
      });
    }
    for (
      const [name, label, extra] of [
        ["apigw", "apigw authz (JWT RS256)", []],
        ["apigw-nocache", "apigw authz, token cache off", ["--token-cache-entries", "0"]],
      ] as const
    ) {
      if (!wanted(name)) continue;
      const apigw = await startChild(Deno.execPath(), [
        "run",
        "-A",
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
        ...extra,
      ], (line) => {
        const event = JSON.parse(line);
        return event.msg === "Serving ext_authz"
          ? Number(String(event.listen).split(":")[1])
          : undefined;
      }, "Serving ext_authz");
      await poll(async () => {
        const answer = await http1(`http://127.0.0.1:${apigw}`, "/orders/42", {
          headers: { host: HOST, authorization: `Bearer ${token}` },
        });
        return answer.status === 200 || undefined;
      }, { what: "apigw authz to allow the benchmark request", timeoutMs: 30_000 });
      targets.push({ key: name, name: label, url: `http://127.0.0.1:${apigw}/orders/42` });
    }
    if (wanted("opa")) {
      const port = freePort();
      await startChild(args.opa, [
        "run",
        "--server",
        "--addr",
        `127.0.0.1:${port}`,
        "--log-level",
        "error",
        `${ROOT}bench/authz_policy.rego`,
        `${dir}/data.json`,
      ], undefined);
      await waitListening(port);
      const url = `http://127.0.0.1:${port}/v1/data/authz/allow`;
      await expectAllowed(url, token, async (r) => (await r.json()).result === true, "POST");
      targets.push({
        key: "opa",
        name: "OPA 1.22.3 REST (same policy)",
        url,
        script: `${ROOT}bench/authz_opa_post.lua`,
      });
    }
    for (let run = 0; run < RUNS; run++) {
      for (const target of targets) {
        runs.set(target.key, [...runs.get(target.key) ?? [], await measure(target, token)]);
      }
    }
  } finally {
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    }
    await jwks.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
  report(targets, runs);
}

function report(targets: Target[], runs: Map<string, Run[]>): void {
  const rows = (key: string) => runs.get(key) ?? [];
  console.log("| target | run | decisions/s | p50 | p99 | load avg (1 min) |");
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
  console.log(`\n| target | decisions/s of ${RUNS} runs | median | spread | load avg |`);
  console.log("| --- | --- | ---: | ---: | --- |");
  for (const target of targets) {
    const rates = rows(target.key).map((r) => r.rate);
    const loads = rows(target.key).map((r) => r.load);
    const mid = median(rates);
    console.log(
      `| ${target.name} | ${rates.map(Math.round).join(", ")} | ${Math.round(mid)} | ${
        ((Math.max(...rates) - Math.min(...rates)) / mid * 100).toFixed(1)
      } % | ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} |`,
    );
  }
  const apigw = rows("apigw");
  const bare = rows("bare");
  if (apigw.length > 0 && bare.length > 0) {
    const ratios = apigw.map((run, i) => run.rate / (bare[i]?.rate ?? NaN));
    console.log(
      `\napigw authz / bare Deno.serve (median of per-run ratios): ${
        (median(ratios) * 100).toFixed(1)
      } % (issue 14: ≥ 60 %)`,
    );
  }
}

async function measure(target: Target, token: string): Promise<Run> {
  const load = Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  const { rate, p50, p99, non2xx } = await runWrk({
    url: target.url,
    threads: args.threads!,
    connections: args.connections!,
    durationS: args.duration!,
    headers: { Host: HOST, Authorization: `Bearer ${token}` },
    ...(target.script ? { script: target.script } : {}),
    env: { BENCH_TOKEN: token },
  });
  console.error(
    `${target.name}: ${rate} req/s, p50 ${p50}, p99 ${p99}, load ${load.toFixed(2)}${
      non2xx ? `, ${non2xx} non-2xx` : ""
    }`,
  );
  return { rate, p50, p99, load };
}

async function expectAllowed(
  url: string,
  token: string,
  ok: (response: Response) => boolean | Promise<boolean>,
  method = "GET",
): Promise<void> {
  const body = method === "POST"
    ? JSON.stringify({
      input: {
        method: "GET",
        host: HOST,
        path: "/orders/42",
        headers: { authorization: `Bearer ${token}` },
      },
    })
    : undefined;
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}` },
    ...(body ? { body } : {}),
  });
  if (!(await ok(response))) {
    throw new Error(`${url} did not allow the benchmark request (${response.status})`);
  }
  if (!response.bodyUsed) await response.body?.cancel();
}

/** Spawns `command`; when `ready` is given, waits for the stdout/stderr line it accepts. */
async function startChild(
  command: string,
  argv: string[],
  ready: ((line: string) => number | undefined) | undefined,
  marker?: string,
): Promise<number> {
  const child = new Deno.Command(command, {
    args: argv,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  children.push(child);
  const lines = mergeLines(child);
  if (ready === undefined) {
    void drain(lines);
    return 0;
  }
  const deadline = Date.now() + 30_000;
  // next() by hand: leaving a for-await would queue return() behind drain()'s pending next().
  while (Date.now() < deadline) {
    const { value: line, done } = await lines.next();
    if (done) break;
    if (marker !== undefined && !line.includes(marker)) continue;
    try {
      const port = ready(line);
      if (port !== undefined) {
        void drain(lines);
        return port;
      }
    } catch { /* not JSON */ }
  }
  throw new Error(`${command} did not start`);
}

async function* mergeLines(child: Deno.ChildProcess): AsyncGenerator<string> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let open = 2;
  for (const stream of [child.stdout, child.stderr]) {
    (async () => {
      let buffer = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        const parts = buffer.split("\n");
        buffer = parts.pop() ?? "";
        queue.push(...parts);
        wake?.();
      }
      open--;
      wake?.();
    })();
  }
  while (open > 0 || queue.length > 0) {
    if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    while (queue.length > 0) yield queue.shift()!;
  }
}

async function drain(lines: AsyncGenerator<string>): Promise<void> {
  for await (const _ of lines) { /* keep pipes flowing */ }
}

async function waitListening(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`Nothing listens on ${port}`);
}

if (import.meta.main) await main();
