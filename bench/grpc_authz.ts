/**
 * gRPC ext_authz against the HTTP check of the same `apigw authz` process (issue 15 B): ghz
 * (benchmark-only peer, `GOBIN=~/.cache/apigw-bench go install
 * github.com/bojand/ghz/cmd/ghz@v0.93.0`) sends `Authorization/Check` to `--grpc-listen`, wrk
 * sends the HTTP check to `--listen`, both for one noAuth rule, so what differs is the front
 * end (protocol, decoding, response building) over the same core: apigw's thin gRPC server on
 * its own HTTP/2 layer over `Deno.listen` (`proxy/grpc/unary_server.ts`, `proxy/grpc/h2/`)
 * against Deno's HTTP/1.1 server. The CheckRequest
 * carries the headers Envoy sends for a plain GET. OPA-Envoy is not run yet.
 *
 *   deno run -A bench/grpc_authz.ts [--duration 10] [--concurrency 32] [--bin ~/.cache/apigw-bench]
 */
import { runGhz } from "./_ghz.ts";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { runWrk } from "./_wrk.ts";

const PROTOSET = new URL("../proxy/grpc/envoy.protoset", import.meta.url).pathname;
const REPO = new URL("../", import.meta.url);
const HOST = "orders.bench.local";
const args = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "10" },
    concurrency: { type: "string", default: "32" },
    bin: { type: "string", default: `${Deno.env.get("HOME")}/.cache/apigw-bench` },
  },
}).values;

const OBJECTS = [
  {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { namespace: "kyma-system", name: "kyma-gateway" },
    spec: {
      selector: { app: "istio-ingressgateway" },
      servers: [{
        hosts: ["*.bench.local"],
        port: { number: 443, name: "https", protocol: "HTTPS" },
      }],
    },
  },
  {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: { name: "orders", namespace: "bench" },
    spec: {
      gateway: "kyma-system/kyma-gateway",
      hosts: [HOST],
      service: { name: "orders", namespace: "bench", port: 8080 },
      rules: [{ path: "/public/{**}", methods: ["GET"], noAuth: true }],
    },
  },
];

const CHECK = {
  attributes: {
    source: { address: { socketAddress: { address: "10.0.0.1", portValue: 40000 } } },
    request: {
      http: {
        method: "GET",
        host: HOST,
        path: "/public/orders/42?page=1",
        scheme: "https",
        protocol: "HTTP/1.1",
        headers: {
          ":authority": HOST,
          ":method": "GET",
          ":path": "/public/orders/42?page=1",
          ":scheme": "https",
          "user-agent": "curl/8.5.0",
          accept: "*/*",
          "x-forwarded-proto": "https",
          "x-request-id": "4b8a0d6e-1c2f-4c11-9a0b-7f0c0e1d2a3b",
        },
      },
    },
  },
};

function ghz(address: string): Promise<Record<string, unknown>> {
  return runGhz({
    bin: args.bin,
    protoset: PROTOSET,
    call: "envoy.service.auth.v3.Authorization.Check",
    data: JSON.stringify(CHECK),
    concurrency: args.concurrency,
    duration: args.duration,
    address: address,
  });
}

/** Starts `apigw authz` with both listeners; its addresses from the startup log line. */
async function startAuthz(dir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "authz",
      "--config",
      dir,
      "--listen",
      "127.0.0.1:0",
      "--management-listen",
      "127.0.0.1:0",
      "--grpc-listen",
      "127.0.0.1:0",
    ],
    cwd: REPO,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (!buffer.includes('"Serving ext_authz"')) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`apigw authz exited: ${buffer}`);
    buffer += value;
  }
  const serving = JSON.parse(buffer.split("\n").find((l) => l.includes("Serving ext_authz"))!);
  // Keep draining stderr so the child never blocks on a full pipe.
  (async () => {
    while (!(await lines.read()).done) { /* drain */ }
  })();
  return { http: String(serving.listen), grpc: String(serving.grpc), child };
}

const dir = await Deno.makeTempDir({ prefix: "apigw-bench-grpc-" });
await Deno.writeTextFile(`${dir}/objects.yaml`, OBJECTS.map((o) => stringify(o)).join("---\n"));
const authz = await startAuthz(dir);
try {
  // fetch() sends the URL's authority as Host: probe with raw HTTP/1.1 instead.
  const [hostname, port] = authz.http.split(":");
  const conn = await Deno.connect({ hostname: hostname!, port: Number(port) });
  await conn.write(
    new TextEncoder().encode(
      `GET /public/orders/42?page=1 HTTP/1.1\r\nhost: ${HOST}\r\nconnection: close\r\n\r\n`,
    ),
  );
  const head = new Uint8Array(64);
  const n = await conn.read(head);
  conn.close();
  const status = new TextDecoder().decode(head.subarray(0, n ?? 0)).split(" ")[1];
  if (status !== "200") throw new Error(`HTTP check answered ${status}, not 200`);
  const grpc = await ghz(authz.grpc);
  const http = await runWrk({
    url: `http://${authz.http}/public/orders/42?page=1`,
    threads: 1,
    connections: args.concurrency,
    durationS: args.duration,
    headers: { Host: HOST },
  });
  const ms = (ns: unknown) => `${(Number(ns) / 1e6).toFixed(2)} ms`;
  const details = (grpc.latencyDistribution ?? []) as { percentage: number; latency: number }[];
  const at = (p: number) => details.find((d) => d.percentage === p)?.latency;
  console.log("| front end | calls/s | p50 | p99 | errors |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  console.log(
    `| gRPC Check (ghz) | ${Math.round(Number(grpc.rps))} | ${ms(at(50))} | ${ms(at(99))} | ${
      JSON.stringify(grpc.statusCodeDistribution)
    } |`,
  );
  console.log(
    `| HTTP check (wrk) | ${Math.round(http.rate)} | ${http.p50} | ${http.p99} | ${
      http.non2xx ?? 0
    } |`,
  );
} finally {
  authz.child.kill("SIGTERM");
  await authz.child.status;
  await Deno.remove(dir, { recursive: true });
}
