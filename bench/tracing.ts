/**
 * What OpenTelemetry tracing costs `apigw authz` (issue 17): JWT decisions/s with wrk for three
 * `apigw authz` processes over the same rules, measured in alternation (`--runs` rounds, each
 * target once per round): tracing off (no `OTEL_DENO`), sampled at 1 %
 * (`parentbased_traceidratio`, `OTEL_TRACES_SAMPLER_ARG=0.01`) and every request sampled. The
 * traced processes export OTLP/HTTP to a sink in this process that accepts and drops it (the
 * collector's cost is not apigw's). Prints each round, the medians and the 1 %/off ratio
 * against the ≥ 90 % goal.
 *
 *   deno run -A bench/tracing.ts [--runs 5] [--duration 10] [--connections 32] [--threads 1]
 */
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { http1 } from "../tests/authz/http1.ts";
import { poll } from "../tests/poll.ts";
import { median, runWrk } from "./_wrk.ts";
import { HOST, rulesYaml } from "./_jwt_rules.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const args = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "5" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "1" },
  },
}).values;

const MODES = [
  { name: "off", env: {} },
  {
    name: "sampled 1 %",
    env: { OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.01" },
  },
  { name: "every request", env: { OTEL_TRACES_SAMPLER: "parentbased_always_on" } },
] as const;

async function main(): Promise<void> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: "RS256", use: "sig" };
  const jwks = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ keys: [jwk] }),
  );
  let exported = 0;
  const sink = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    exported += (await request.arrayBuffer()).byteLength;
    return new Response(new Uint8Array(), {
      headers: { "content-type": "application/x-protobuf" },
    });
  });
  const issuer = `http://127.0.0.1:${jwks.addr.port}`;
  const token = await new SignJWT({ iss: issuer, sub: "bench", scope: "orders:read" })
    .setProtectedHeader({ alg: "RS256", kid: "bench" })
    .setExpirationTime("2h")
    .sign(privateKey);
  const dir = await Deno.makeTempDir({ prefix: "apigw-bench-tracing-" });
  const children: Deno.ChildProcess[] = [];
  try {
    await Deno.writeTextFile(`${dir}/rules.yaml`, rulesYaml(issuer));
    const targets: { name: string; url: string; rates: number[] }[] = [];
    for (const mode of MODES) {
      const env: Record<string, string> = mode.name === "off" ? {} : {
        OTEL_DENO: "true",
        OTEL_DENO_CONSOLE: "ignore",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.addr.port}`,
        ...mode.env,
      };
      const { child, port } = await startAuthz(dir, env);
      children.push(child);
      const url = `http://127.0.0.1:${port}/orders/42`;
      await poll(async () => {
        const answer = await http1(`http://127.0.0.1:${port}`, "/orders/42", {
          headers: { host: HOST, authorization: `Bearer ${token}` },
        });
        return answer.status === 200 || undefined;
      }, { what: `apigw authz (${mode.name}) to allow`, timeoutMs: 30_000 });
      targets.push({ name: mode.name, url, rates: [] });
    }
    for (let round = 1; round <= Number(args.runs); round++) {
      for (const target of targets) {
        const { rate, non2xx } = await runWrk({
          url: target.url,
          threads: args.threads!,
          connections: args.connections!,
          durationS: args.duration!,
          headers: { Host: HOST, Authorization: `Bearer ${token}` },
        });
        if (non2xx !== undefined) throw new Error(`${target.name}: ${non2xx} non-2xx answers`);
        target.rates.push(rate);
        console.error(`round ${round}, ${target.name}: ${Math.round(rate)} decisions/s`);
      }
    }
    console.log("| tracing | decisions/s per round | median | vs off |");
    console.log("| --- | --- | ---: | ---: |");
    const off = median(targets[0]!.rates);
    for (const target of targets) {
      const m = median(target.rates);
      console.log(
        `| ${target.name} | ${target.rates.map(Math.round).join(", ")} | ${Math.round(m)} | ${
          (100 * m / off).toFixed(1)
        } % |`,
      );
    }
    const ratio = median(targets[1]!.rates) / off;
    console.log(
      `\n1 % sampling keeps ${
        (100 * ratio).toFixed(1)
      } % of the untraced throughput (goal ≥ 90 %: ${
        ratio >= 0.9 ? "met" : "NOT met"
      }); the sink received ${exported} bytes of OTLP.`,
    );
  } finally {
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    }
    await jwks.shutdown();
    await sink.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

async function startAuthz(
  dir: string,
  env: Record<string, string>,
): Promise<{ child: Deno.ChildProcess; port: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
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
    ],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).values();
  let rest = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await lines.next();
    if (done) break;
    rest += value;
    const parts = rest.split("\n");
    rest = parts.pop()!;
    for (const line of parts) {
      try {
        const event = JSON.parse(line);
        if (event.msg === "Serving ext_authz") {
          void (async () => {
            while (!(await lines.next()).done) { /* drain */ }
          })();
          return { child, port: Number(String(event.listen).split(":").at(-1)) };
        }
      } catch { /* not JSON */ }
    }
  }
  child.kill("SIGTERM");
  await child.status;
  throw new Error("apigw authz did not start");
}

if (import.meta.main) await main();
