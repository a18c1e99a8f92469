/**
 * gRPC ext_authz benchmarks (issue 15; bench/README.md, "grpc-authz"), every gRPC target loaded
 * by ghz (benchmark-only peer, `GOBIN=~/.cache/apigw-bench go install
 * github.com/bojand/ghz/cmd/ghz@v0.93.0`) with the same settings:
 *
 * - front end (`grpc`, `http`): one `apigw authz` process over one noAuth rule, ghz sending
 *   `Authorization/Check` to `--grpc-listen` against wrk sending the HTTP check to `--listen`,
 *   so what differs is the front end (apigw's thin gRPC server on its own HTTP/2 layer,
 *   `proxy/grpc/`, against Deno's HTTP/1.1 server) over the same core;
 * - JWT decisions (`apigw`, `apigw-nocache`, the peer): a Check for `GET /orders/42` carrying an
 *   RS256 token, decided by `apigw authz --grpc-listen` (verified-token cache on, and off with
 *   `--token-cache-entries 0`) and by the gRPC ext_authz peers (`bench/_grpc_peers.ts`:
 *   kyverno-authz, and an OPA-Envoy stand-in) with equivalent policies. Each is first checked to
 *   allow the valid token and deny an unscoped and a forged one; the run fails otherwise.
 *
 *   deno run -A bench/grpc_authz.ts [--duration 10] [--concurrency 32] [--bin ~/.cache/apigw-bench]
 *     [--only grpc,http,apigw,apigw-nocache,kyverno,opa-envoy]
 */
import { ghzRow, runGhz } from "./_ghz.ts";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { runWrk } from "./_wrk.ts";
import { checkOnce } from "./_grpc_check.ts";
import { HOST, rulesYaml } from "./_jwt_rules.ts";
import { PEERS } from "./_grpc_peers.ts";

const PROTOSET = new URL("../proxy/grpc/envoy.protoset", import.meta.url).pathname;
const REPO = new URL("../", import.meta.url);
const args = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "10" },
    concurrency: { type: "string", default: "32" },
    bin: { type: "string", default: `${Deno.env.get("HOME")}/.cache/apigw-bench` },
    only: { type: "string" },
  },
}).values;
const wanted = (key: string) => args.only === undefined || args.only.split(",").includes(key);

/** The front-end comparison's rule: noAuth, so no token work on either side. */
const NOAUTH_OBJECTS = [
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

/** A CheckRequest as Envoy's ext_authz filter fills it for a plain GET (proto field names). */
function checkRequest(path: string, headers: Record<string, string> = {}) {
  return {
    attributes: {
      source: { address: { socket_address: { address: "10.0.0.1", port_value: 40000 } } },
      request: {
        http: {
          method: "GET",
          host: HOST,
          path,
          scheme: "https",
          protocol: "HTTP/1.1",
          headers: {
            ":authority": HOST,
            ":method": "GET",
            ":path": path,
            ":scheme": "https",
            "user-agent": "curl/8.5.0",
            accept: "*/*",
            "x-forwarded-proto": "https",
            "x-request-id": "4b8a0d6e-1c2f-4c11-9a0b-7f0c0e1d2a3b",
            ...headers,
          },
        },
      },
    },
  };
}

function ghz(address: string, request: unknown): Promise<Record<string, unknown>> {
  return runGhz({
    bin: args.bin,
    protoset: PROTOSET,
    call: "envoy.service.auth.v3.Authorization.Check",
    data: JSON.stringify(request),
    concurrency: args.concurrency,
    duration: args.duration,
    address,
  });
}

interface Authz {
  http: string;
  grpc: string;
  child: Deno.ChildProcess;
}

/** Starts `apigw authz` with both listeners; its addresses from the startup log line. */
async function startAuthz(dir: string, extra: string[] = []): Promise<Authz> {
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
      ...extra,
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

/**
 * Fails unless `address` allows the valid token (status 0), denies the token without the
 * scope with a non-zero status, and denies the forged one: a non-zero status, or a gRPC error
 * (Envoy denies on an error unless `failure_mode_allow`; kyverno-authz's `jwt.Decode` fails
 * the evaluation on a bad signature).
 */
async function expectDecisions(name: string, address: string, checks: Checks): Promise<void> {
  const allowed = await checkOnce(address, checks.valid);
  if (!("code" in allowed) || allowed.code !== 0) {
    throw new Error(`${name} did not allow the valid token: ${JSON.stringify(allowed)}`);
  }
  const unscoped = await checkOnce(address, checks.unscoped);
  if (!("code" in unscoped) || unscoped.code === 0) {
    throw new Error(`${name} did not deny the token without scope: ${JSON.stringify(unscoped)}`);
  }
  const forged = await checkOnce(address, checks.forged);
  if ("code" in forged && forged.code === 0) {
    throw new Error(`${name} allowed the forged token`);
  }
  console.error(
    `${name}: allows the valid token, denies the unscoped one (status ${unscoped.code}) and ` +
      `the forged one (${
        "code" in forged ? `status ${forged.code}` : forged.error.split("\n")[0]
      })`,
  );
}

interface Checks {
  valid: unknown;
  unscoped: unknown;
  forged: unknown;
}

/** Probes the HTTP check with raw HTTP/1.1 (fetch() would send the URL's authority as Host). */
async function httpStatus(address: string, path: string): Promise<string | undefined> {
  const [hostname, port] = address.split(":");
  const conn = await Deno.connect({ hostname: hostname!, port: Number(port) });
  await conn.write(
    new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nhost: ${HOST}\r\nconnection: close\r\n\r\n`),
  );
  const head = new Uint8Array(64);
  const n = await conn.read(head);
  conn.close();
  return new TextDecoder().decode(head.subarray(0, n ?? 0)).split(" ")[1];
}

const frontEnd: string[] = [];
const decisions: {
  key: string;
  name: string;
  report: Record<string, unknown>;
  /** JWKS requests the target made while ghz ran. */
  fetches: number;
}[] = [];
const stops: (() => Promise<void>)[] = [];
const stopAuthz = (authz: Authz) => async () => {
  authz.child.kill("SIGTERM");
  await authz.child.status;
};
const noAuthDir = await Deno.makeTempDir({ prefix: "apigw-bench-grpc-" });
const jwtDir = await Deno.makeTempDir({ prefix: "apigw-bench-grpc-jwt-" });
const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: "RS256", use: "sig" };
let jwksFetches = 0;
const jwks = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
  jwksFetches++;
  return Response.json({ keys: [jwk] });
});
try {
  if (wanted("grpc") || wanted("http")) {
    await Deno.writeTextFile(
      `${noAuthDir}/objects.yaml`,
      NOAUTH_OBJECTS.map((o) => stringify(o)).join("---\n"),
    );
    const authz = await startAuthz(noAuthDir);
    stops.push(stopAuthz(authz));
    const path = "/public/orders/42?page=1";
    const status = await httpStatus(authz.http, path);
    if (status !== "200") throw new Error(`HTTP check answered ${status}, not 200`);
    if (wanted("grpc")) {
      frontEnd.push(ghzRow("gRPC Check (ghz)", await ghz(authz.grpc, checkRequest(path))));
    }
    if (wanted("http")) {
      const http = await runWrk({
        url: `http://${authz.http}${path}`,
        threads: 1,
        connections: args.concurrency,
        durationS: args.duration,
        headers: { Host: HOST },
      });
      frontEnd.push(
        `| HTTP check (wrk) | ${Math.round(http.rate)} | ${http.p50} | ${http.p99} | ${
          http.non2xx ?? 0
        } non-2xx |`,
      );
    }
    await stops.pop()!();
  }

  const issuer = `http://127.0.0.1:${jwks.addr.port}`;
  const sign = (key: Parameters<SignJWT["sign"]>[0], scope = "orders:read orders:write") =>
    new SignJWT({ iss: issuer, sub: "bench", scope })
      .setProtectedHeader({ alg: "RS256", kid: "bench" })
      .setExpirationTime("2h")
      .sign(key);
  const bearer = async (token: Promise<string>) =>
    checkRequest("/orders/42", { authorization: `Bearer ${await token}` });
  const checks: Checks = {
    valid: await bearer(sign(privateKey)),
    unscoped: await bearer(sign(privateKey, "orders:write")),
    forged: await bearer(sign((await generateKeyPair("RS256")).privateKey)),
  };
  await Deno.writeTextFile(`${jwtDir}/rules.yaml`, rulesYaml(issuer));
  const targets: { key: string; name: string; address: string }[] = [];
  for (
    const [key, name, extra] of [
      ["apigw", "apigw authz gRPC (JWT RS256, token cache)", []],
      ["apigw-nocache", "apigw authz gRPC, token cache off", ["--token-cache-entries", "0"]],
    ] as const
  ) {
    if (!wanted(key)) continue;
    const authz = await startAuthz(jwtDir, [...extra]);
    stops.push(stopAuthz(authz));
    await expectDecisions(name, authz.grpc, checks);
    targets.push({ key, name, address: authz.grpc });
  }
  for (const peer of PEERS) {
    if (!wanted(peer.key)) continue;
    const started = await peer.start(args.bin, {
      issuer,
      jwksUri: `${issuer}/jwks`,
      jwks: { keys: [jwk] },
    });
    if (typeof started === "string") {
      console.error(`Skipped ${peer.key}: ${started}`);
      continue;
    }
    stops.push(started.stop);
    await expectDecisions(peer.name, started.address, checks);
    targets.push({ key: peer.key, name: peer.name, address: started.address });
  }
  // Measured one after the other, each with the others idle.
  for (const target of targets) {
    const before = jwksFetches;
    const report = await ghz(target.address, checks.valid);
    decisions.push({ ...target, report, fetches: jwksFetches - before });
  }
} finally {
  for (const stop of stops.reverse()) await stop();
  await jwks.shutdown();
  await Deno.remove(noAuthDir, { recursive: true });
  await Deno.remove(jwtDir, { recursive: true });
}

const settings = `${args.duration} s each, ${args.concurrency} concurrent calls`;
if (frontEnd.length > 0) {
  console.log(`\nFront end, noAuth rule (${settings}; ghz over 4 connections, wrk -t1)`);
  console.log("| front end | calls/s | p50 | p99 | codes |\n| --- | ---: | ---: | ---: | --- |");
  for (const row of frontEnd) console.log(row);
}
if (decisions.length > 0) {
  console.log(`\nJWT decisions over gRPC (${settings}; ghz over 4 connections)`);
  console.log(
    "| target | decisions/s | p50 | p99 | codes | JWKS fetches |\n| --- | ---: | ---: | ---: | --- | ---: |",
  );
  for (const { name, report, fetches } of decisions) {
    console.log(`${ghzRow(name, report)} ${fetches} |`);
  }
  const rate = (key: string) => Number(decisions.find((d) => d.key === key)?.report.rps);
  for (const key of ["apigw", "apigw-nocache"]) {
    for (const peer of PEERS) {
      const ratio = rate(key) / rate(peer.key);
      if (Number.isFinite(ratio)) {
        console.log(`${key} / ${peer.key}: ${ratio.toFixed(2)}× (issue 15: ≥ 3×)`);
      }
    }
  }
}
