/**
 * The introspection benchmark (bench/README.md): decisions/s and latency of an
 * `oauth2_introspection`-protected APIRule v1beta1 rule with a warm cache, for `apigw authz`
 * (a separate process, deciding from a folder) and the OPA peer (REST data API, `http.send` with
 * a forced cache), both against one RFC 7662 endpoint this script serves. Ory Oathkeeper, the
 * natural peer, cannot be built here (the Go module proxy refuses github.com/ory/oathkeeper).
 *
 *   deno run -A bench/introspection.ts [--duration 10] [--connections 32] [--opa PATH] [--only a,b]
 *
 * Each target must allow the benchmark request before it is measured; the endpoint counts its
 * calls, so the table also says how often each target went to it.
 */
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { http1 } from "../tests/authz/http1.ts";
import { poll } from "../tests/poll.ts";
import { runWrk } from "./_wrk.ts";
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
  },
}).values;

const HOST = "orders.bench.local";
const TOKEN = "opaque-bench-token-0123456789";
const BASIC = `Basic ${btoa("apigw:bench-secret")}`;
const children: Deno.ChildProcess[] = [];

async function main(): Promise<void> {
  let calls = 0;
  const endpoint = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      calls++;
      const body = new URLSearchParams(await request.text());
      if (request.headers.get("authorization") !== BASIC) {
        return Response.json({ error: "invalid_client" }, { status: 401 });
      }
      return Response.json(
        body.get("token") === TOKEN
          ? {
            active: true,
            sub: "bench",
            scope: "orders:read orders:write",
            exp: Math.floor(Date.now() / 1000) + 3600,
          }
          : { active: false },
      );
    },
  );
  const url = `http://127.0.0.1:${endpoint.addr.port}/introspect`;
  const dir = await Deno.makeTempDir({ prefix: "apigw-bench-introspection-" });
  const rows: string[] = [];
  const wanted = (name: string) => args.only === undefined || args.only.split(",").includes(name);
  try {
    for (
      const [name, label, cache] of [
        ["apigw", "apigw authz, introspection cache warm", true],
        ["apigw-nocache", "apigw authz, introspection cache off", false],
      ] as const
    ) {
      if (!wanted(name)) continue;
      await Deno.writeTextFile(`${dir}/rules.yaml`, rulesYaml(url, cache));
      const port = await startApigw(dir);
      await poll(async () => {
        const answer = await http1(`http://127.0.0.1:${port}`, "/orders/42", {
          headers: { host: HOST, authorization: `Bearer ${TOKEN}` },
        });
        return answer.status === 200 || undefined;
      }, { what: "apigw authz to allow the benchmark request", timeoutMs: 30_000 });
      const before = calls;
      rows.push(
        await measure(label, `http://127.0.0.1:${port}/orders/42`) + ` ${calls - before} |`,
      );
      await stopChildren();
    }
    if (wanted("opa")) {
      await Deno.writeTextFile(
        `${dir}/data.json`,
        JSON.stringify({ introspection_url: url, basic: BASIC }),
      );
      const port = freePort();
      spawn(args.opa, [
        "run",
        "--server",
        "--addr",
        `127.0.0.1:${port}`,
        "--log-level",
        "error",
        `${ROOT}bench/introspection_policy.rego`,
        `${dir}/data.json`,
      ]);
      const decision = `http://127.0.0.1:${port}/v1/data/introspect/allow`;
      await poll(async () => {
        try {
          const response = await fetch(decision, {
            method: "POST",
            body: JSON.stringify({
              input: {
                method: "GET",
                host: HOST,
                path: "/orders/42",
                headers: { authorization: `Bearer ${TOKEN}` },
              },
            }),
          });
          return (await response.json()).result === true || undefined;
        } catch {
          return undefined;
        }
      }, { what: "OPA to allow the benchmark request", timeoutMs: 30_000 });
      const before = calls;
      rows.push(
        await measure("OPA REST, http.send cache", decision, `${ROOT}bench/authz_opa_post.lua`) +
          ` ${calls - before} |`,
      );
    }
  } finally {
    await stopChildren();
    await endpoint.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
  console.log(
    "| target | decisions/s | p50 | p99 | introspection calls |\n| --- | ---: | ---: | ---: | ---: |",
  );
  for (const row of rows) console.log(row);
}

function rulesYaml(url: string, cache: boolean): string {
  const rule = {
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { namespace: "default", name: "orders" },
    spec: {
      host: HOST,
      gateway: "kyma-system/kyma-gateway",
      service: { name: "orders", port: 8080 },
      rules: [{
        path: "/orders/.*",
        methods: ["GET"],
        accessStrategies: [{
          handler: "oauth2_introspection",
          config: {
            introspection_url: url,
            required_scope: ["orders:read"],
            client_auth: { client_id: "apigw", client_secret: "bench-secret" },
            cache: { enabled: cache, ttl: "30s" },
          },
        }],
      }],
    },
  };
  return stringify(rule);
}

async function startApigw(dir: string): Promise<number> {
  const child = spawn(Deno.execPath(), [
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
  ]);
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    for (const line of buffer.split("\n")) {
      try {
        const event = JSON.parse(line);
        if (event.msg === "Serving ext_authz") {
          void (async () => {
            while (!(await reader.read()).done) { /* keep the pipe flowing */ }
          })();
          return Number(String(event.listen).split(":")[1]);
        }
      } catch { /* partial line */ }
    }
  }
  throw new Error("apigw authz did not start");
}

async function measure(name: string, url: string, script?: string): Promise<string> {
  const { rate, p50, p99, non2xx } = await runWrk({
    url,
    threads: args.threads!,
    connections: args.connections!,
    durationS: args.duration!,
    headers: { Host: HOST, Authorization: `Bearer ${TOKEN}` },
    ...(script ? { script } : {}),
    env: { BENCH_TOKEN: TOKEN },
  });
  console.error(
    `${name}: ${rate} req/s, p50 ${p50}, p99 ${p99}${non2xx ? `, ${non2xx} non-2xx` : ""}`,
  );
  return `| ${name} | ${Math.round(rate)} | ${p50} | ${p99} |`;
}

function spawn(command: string, argv: string[]): Deno.ChildProcess {
  const child = new Deno.Command(command, {
    args: argv,
    stdout: "null",
    // apigw's log is read for its port; OPA logs only errors, shown as they come.
    stderr: command === Deno.execPath() ? "piped" : "inherit",
    stdin: "null",
  }).spawn();
  children.push(child);
  return child;
}

function stopChildren(): Promise<unknown> {
  return Promise.all(
    children.splice(0).map((child) => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      return child.status;
    }),
  );
}

if (import.meta.main) await main();
