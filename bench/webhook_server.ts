/**
 * Webhook server candidates under a burst (issue 20 part 3; bench/README.md "admission"): the
 * same webhook app behind
 *
 * - `node`: `node:https` with `setSecureContext()` (webhook/tls_server.ts, what apigw serves),
 * - `deno`: `Deno.serve` with TLS, HTTP/2 offered through ALPN,
 * - `deno-swap`: `Deno.serve` as above, re-opened with the certificate every `--swap-ms` by
 *   starting a second listener on the same port (`reusePort`, on a TLS listener unstable API in
 *   Deno 2.9.6: `--unstable-net`) and shutting the old one down,
 *
 * each in a child process, loaded by bursts of `--burst` concurrent AdmissionReviews (a valid
 * APIRule v2 to `/validate-…-apirule`) over HTTP/1.1 with a new connection (and TLS handshake) per
 * request, as the apiserver does under a burst, and (Deno.serve only) over one HTTP/2 connection.
 * Reported per case: request latency p50/p99 at the client, failed requests, and the server's
 * CPU per request (its /proc CPU seconds over the bursts, TLS included).
 *
 *   deno run -A bench/webhook_server.ts [--burst 200] [--bursts 3] [--key rsa-2048]
 */
import { parseArgs } from "node:util";
import { createLogger } from "../lib/log.ts";
import { type KeyAlgorithm } from "../webhook/certificates.ts";
import { generateCertificates } from "../webhook/certificates.ts";
import { createWebhookApp, VALIDATE_APIRULE_PATH } from "../webhook/app.ts";
import { createWebhookServer } from "../webhook/tls_server.ts";
import { apiruleConverter } from "../webhook/apirule_converter.ts";
import { cpuSeconds } from "./_proc.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    burst: { type: "string", default: "200" },
    bursts: { type: "string", default: "3" },
    key: { type: "string", default: "rsa-2048" },
    "swap-ms": { type: "string", default: "250" },
    serve: { type: "string" },
    cert: { type: "string" },
  },
});

const REVIEW = JSON.stringify({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid: "u-1",
    kind: { group: "gateway.kyma-project.io", version: "v2", kind: "APIRule" },
    operation: "CREATE",
    object: {
      apiVersion: "gateway.kyma-project.io/v2",
      kind: "APIRule",
      metadata: { name: "shop", namespace: "demo" },
      spec: {
        hosts: ["shop.example.com"],
        gateway: "kyma-system/kyma-gateway",
        service: { name: "shop", port: 80 },
        rules: [{ path: "/a", methods: ["GET"], noAuth: true }],
      },
    },
    oldObject: null,
  },
});

if (values.serve !== undefined) await serveChild(values.serve, JSON.parse(values.cert!));
else await main();

async function main(): Promise<void> {
  const bundle = await generateCertificates({
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    key: values.key as KeyAlgorithm,
  });
  const pair = { certPem: bundle.certPem, keyPem: bundle.keyPem };
  const rows: string[] = [];
  for (
    const [serve, protocols] of [
      ["node", ["http1"]],
      ["deno", ["http1", "http2"]],
      ["deno-swap", ["http1", "http2"]],
    ] as const
  ) {
    for (const protocol of protocols) {
      rows.push(await measure(serve, protocol, pair, bundle.caPem));
    }
  }
  console.log(
    `| server | protocol | p50 | p99 | failed | server CPU per request |\n| --- | --- | ---: | ---: | ---: | ---: |`,
  );
  for (const row of rows) console.log(row);
}

async function measure(
  serve: string,
  protocol: "http1" | "http2",
  pair: { certPem: string; keyPem: string },
  caPem: string,
): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      // Deno 2.9.6: `reusePort` on a TLS listener is unstable API behind this flag.
      ...(serve === "deno-swap" ? ["--unstable-net"] : []),
      new URL(import.meta.url).pathname,
      "--serve",
      serve,
      "--cert",
      JSON.stringify(pair),
      "--swap-ms",
      String(values["swap-ms"]),
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error(`${serve} did not start`);
    text += chunk.value;
  }
  const port = Number(text.trim());
  const url = `https://localhost:${port}${VALIDATE_APIRULE_PATH}`;
  const shared = protocol === "http2"
    ? Deno.createHttpClient({ caCerts: [caPem], http1: false, http2: true })
    : undefined;
  const latencies: number[] = [];
  let failed = 0;
  let requests = 0;
  const cpuBefore = cpuSeconds(child.pid) ?? 0;
  try {
    for (let b = 0; b < Number(values.bursts); b++) {
      await Promise.all(Array.from({ length: Number(values.burst) }, async () => {
        // HTTP/1.1: a client of its own per request, i.e. a new connection and handshake.
        const client = shared ??
          Deno.createHttpClient({ caCerts: [caPem], http1: true, http2: false });
        const started = performance.now();
        try {
          const response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: REVIEW,
            client,
          });
          const body = await response.json();
          if (response.status !== 200 || body?.response?.allowed !== true) failed++;
        } catch {
          failed++;
        } finally {
          latencies.push(performance.now() - started);
          requests++;
          if (client !== shared) client.close();
        }
      }));
    }
  } finally {
    shared?.close();
  }
  const cpu = (cpuSeconds(child.pid) ?? 0) - cpuBefore;
  child.kill("SIGTERM");
  await child.status;
  await reader.cancel().catch(() => {});
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const row = `| ${serve} | ${protocol} | ${pct(50).toFixed(1)} ms | ${
    pct(99).toFixed(1)
  } ms | ${failed} | ${((cpu / requests) * 1000).toFixed(2)} ms |`;
  console.error(row);
  return row;
}

/** The child: serves the webhook app as `mode` and prints its port. */
async function serveChild(
  mode: string,
  pair: { certPem: string; keyPem: string },
): Promise<void> {
  const app = createWebhookApp({
    convert: apiruleConverter,
    log: createLogger({ level: "error", write: () => {} }),
  });
  if (mode === "node") {
    const server = createWebhookServer(app.fetch, {
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) => console.log(port),
    });
    await server.load(pair);
    return;
  }
  const open = (port: number) =>
    Deno.serve({
      hostname: "127.0.0.1",
      port,
      cert: pair.certPem,
      key: pair.keyPem,
      ...(mode === "deno-swap" ? { reusePort: true } : {}),
      onListen() {},
    }, app.fetch);
  let server = open(0);
  console.log(server.addr.port);
  if (mode !== "deno-swap") return;
  // A certificate swap the way Deno.serve allows it: a second listener, then the old one drains.
  setInterval(() => {
    const old = server;
    server = open(old.addr.port);
    void old.shutdown();
  }, Number(values["swap-ms"]));
}
