/**
 * The gRPC ext_authz peers of `bench/grpc_authz.ts` (bench/README.md, "grpc-authz"), each
 * deciding what `bench/authz_policy.rego` decides for OPA's REST API. Benchmark-only; built from
 * the Go module proxy into version-keyed folders under `~/.cache/apigw-bench`:
 *
 * - `kyverno`: Kyverno's Envoy authorization server (`github.com/kyverno/kyverno-authz`,
 *   `serve envoy authz-server`), standalone (no Kubernetes: `--kube-policy-source=false`, the
 *   policy from a folder), with the pins of `bench/peers/kyverno/go.mod`;
 * - `opa-envoy`: a stand-in for OPA-Envoy written here (`bench/peers/opa_envoy/main.go`: OPA
 *   v1.22.3's Go SDK behind an ext_authz gRPC server), since the module proxy does not serve
 *   `opa-envoy-plugin`.
 *
 *   nice -n 10 go -C bench/peers/kyverno build \
 *     -o ~/.cache/apigw-bench/kyverno-authz-v0.4.1-0.20260701230957-9101a3ffd44f/kyverno-authz \
 *     github.com/kyverno/kyverno-authz
 *   nice -n 10 go -C bench/peers/opa_envoy build -o ~/.cache/apigw-bench/opa-envoy-standin-opa-v1.22.3/opa_envoy .
 */
import { stringify } from "yaml";
import { freePort } from "../tests/cluster/_ports.ts";

const KYVERNO_VERSION = "v0.4.1-0.20260701230957-9101a3ffd44f";
const KYVERNO_DIR = `kyverno-authz-${KYVERNO_VERSION}`;
const OPA_DIR = "opa-envoy-standin-opa-v1.22.3";
const ROOT = new URL("../", import.meta.url).pathname;

/** `^/orders/{*}`: one path segment of RFC 3986 pchars, as `bench/authz_policy.rego`. */
const ORDERS_PATH = String.raw`^/orders/([A-Za-z0-9-._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$`;

export interface PeerProcess {
  /** `host:port` of its gRPC listener. */
  address: string;
  stop(): Promise<void>;
}

/** What the peers need to verify the benchmark's tokens. */
export interface PeerJwt {
  issuer: string;
  jwksUri: string;
  /** The JWKS document (`{ keys: [...] }`), for peers that take it as data. */
  jwks: unknown;
}

export interface Peer {
  key: string;
  name: string;
  /** Starts it on a free loopback port; a sentence saying why not when it is not built. */
  start(bin: string, jwt: PeerJwt): Promise<PeerProcess | string>;
}

export const PEERS: readonly Peer[] = [
  {
    key: "kyverno",
    name: `kyverno-authz ${KYVERNO_VERSION}`,
    async start(bin, jwt) {
      const binary = `${bin}/${KYVERNO_DIR}/kyverno-authz`;
      if (!(await exists(binary))) {
        return `${binary} is not built (go -C bench/peers/kyverno build -o ${binary} github.com/kyverno/kyverno-authz)`;
      }
      const dir = await Deno.makeTempDir({ prefix: "apigw-bench-kyverno-" });
      await Deno.writeTextFile(`${dir}/policy.yaml`, kyvernoPolicy(jwt.issuer, jwt.jwksUri));
      const [grpc, probes, metrics] = [freePort(), freePort(), freePort()];
      return await spawnPeer(binary, grpc, dir, [
        "serve",
        "envoy",
        "authz-server",
        "--kube-policy-source=false",
        `--external-policy-source=file://${dir}`,
        `--grpc-address=127.0.0.1:${grpc}`,
        `--probes-address=127.0.0.1:${probes}`,
        `--metrics-address=127.0.0.1:${metrics}`,
      ]);
    },
  },
  {
    key: "opa-envoy",
    name: "OPA-Envoy stand-in (OPA v1.22.3 Go SDK, written here)",
    async start(bin, jwt) {
      const binary = `${bin}/${OPA_DIR}/opa_envoy`;
      if (!(await exists(binary))) {
        return `${binary} is not built (go -C bench/peers/opa_envoy build -o ${binary} .)`;
      }
      const dir = await Deno.makeTempDir({ prefix: "apigw-bench-opa-envoy-" });
      await Deno.writeTextFile(
        `${dir}/data.json`,
        JSON.stringify({ jwks: jwt.jwks, issuer: jwt.issuer }),
      );
      const grpc = freePort();
      return await spawnPeer(binary, grpc, dir, [
        "-addr",
        `127.0.0.1:${grpc}`,
        "-data",
        `${dir}/data.json`,
        `${ROOT}bench/authz_policy.rego`,
        `${ROOT}bench/peers/opa_envoy/envoy.rego`,
      ]);
    },
  },
];

/**
 * The ValidatingPolicy: a bearer token verified with `jwt.Decode` against the JWKS at
 * `jwksUri` (RS256: the JWK's `alg`), signature and `exp`/`nbf` valid (`Valid`), issuer,
 * `GET`, host, path and the `orders:read` scope; everything else denied.
 */
export function kyvernoPolicy(issuer: string, jwksUri: string): string {
  const http = "object.attributes.request.http";
  return stringify({
    apiVersion: "policies.kyverno.io/v1",
    kind: "ValidatingPolicy",
    metadata: { name: "orders" },
    spec: {
      evaluation: { mode: "Envoy" },
      failurePolicy: "Fail",
      variables: [
        {
          name: "authorization",
          expression: `${http}.headers[?"authorization"].orValue("")`,
        },
        {
          name: "token",
          expression: `variables.authorization.startsWith("Bearer ") ? ` +
            `jwt.Decode(variables.authorization.substring(7), jwks.Fetch(${
              JSON.stringify(jwksUri)
            })) : null`,
        },
      ],
      validations: [
        {
          expression: `variables.token == null || !variables.token.Valid || ` +
            `variables.token.Claims.?iss.orValue("") != ${JSON.stringify(issuer)} ` +
            `? envoy.Denied(401).Response() : null`,
        },
        {
          expression: `${http}.method == "GET" && ${http}.host == "orders.bench.local" && ` +
            `${http}.path.split("?")[0].matches(${JSON.stringify(ORDERS_PATH)}) && ` +
            `"orders:read" in string(variables.token.Claims.?scope.orValue("")).split(" ") ` +
            `? envoy.Allowed().Response() : envoy.Denied(403).Response()`,
        },
      ],
    },
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Runs `binary` until its gRPC port accepts connections; `dir` is removed when it stops. */
async function spawnPeer(
  binary: string,
  port: number,
  dir: string,
  args: string[],
): Promise<PeerProcess> {
  const child = new Deno.Command(binary, {
    args,
    // kyverno-authz runs without a cluster when its kubeconfig names no file.
    env: { KUBECONFIG: `${dir}/no-kubeconfig` },
    stdin: "null",
    // kyverno-authz writes one line per decision to stdout (its event writer): discarded.
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      if (log.join("").length < 64 * 1024) log.push(chunk);
    }
  })();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await reading;
    await Deno.remove(dir, { recursive: true });
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return { address: `127.0.0.1:${port}`, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await stop();
  throw new Error(`${binary} did not listen on ${port}: ${log.join("")}`);
}
