/**
 * The gRPC ext_authz peer of `bench/grpc_authz.ts`: Kyverno's Envoy authorization server
 * (`github.com/kyverno/kyverno-authz`, `serve envoy authz-server`), run standalone (no
 * Kubernetes: `--kube-policy-source=false`, the policy from a folder) with a ValidatingPolicy
 * that decides what `bench/authz_policy.rego` decides for OPA (bench/README.md, "grpc-authz").
 * Benchmark-only; built from the Go module proxy into a version-keyed folder with the pins of
 * `bench/peers/kyverno/go.mod`:
 *
 *   nice -n 10 go -C bench/peers/kyverno build \
 *     -o ~/.cache/apigw-bench/kyverno-authz-v0.4.1-0.20260701230957-9101a3ffd44f/kyverno-authz \
 *     github.com/kyverno/kyverno-authz
 */
import { stringify } from "yaml";
import { freePort } from "../tests/cluster/_ports.ts";

export const VERSION = "v0.4.1-0.20260701230957-9101a3ffd44f";
export const PEER = { key: "kyverno", name: `kyverno-authz ${VERSION}` };
const BUILD =
  `go -C bench/peers/kyverno build -o ~/.cache/apigw-bench/kyverno-authz-${VERSION}/kyverno-authz github.com/kyverno/kyverno-authz`;

/** `^/orders/{*}`: one path segment of RFC 3986 pchars, as `bench/authz_policy.rego`. */
const ORDERS_PATH = String.raw`^/orders/([A-Za-z0-9-._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$`;

export interface PeerProcess {
  /** `host:port` of its gRPC listener. */
  address: string;
  stop(): Promise<void>;
}

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

/** Starts the peer on a free loopback port; a sentence saying why not when it is not built. */
export async function startPeer(
  bin: string,
  jwt: { issuer: string; jwksUri: string },
): Promise<PeerProcess | string> {
  const binary = `${bin}/kyverno-authz-${VERSION}/kyverno-authz`;
  try {
    await Deno.stat(binary);
  } catch {
    return `${binary} is not built (${BUILD})`;
  }
  const dir = await Deno.makeTempDir({ prefix: "apigw-bench-kyverno-" });
  await Deno.writeTextFile(`${dir}/policy.yaml`, kyvernoPolicy(jwt.issuer, jwt.jwksUri));
  const [grpc, probes, metrics] = [freePort(), freePort(), freePort()];
  const child = new Deno.Command(binary, {
    args: [
      "serve",
      "envoy",
      "authz-server",
      "--kube-policy-source=false",
      `--external-policy-source=file://${dir}`,
      `--grpc-address=127.0.0.1:${grpc}`,
      `--probes-address=127.0.0.1:${probes}`,
      `--metrics-address=127.0.0.1:${metrics}`,
    ],
    // No cluster: an empty KUBECONFIG and no in-cluster variables.
    env: { KUBECONFIG: `${dir}/no-kubeconfig` },
    clearEnv: false,
    stdin: "null",
    // It writes one line per decision to stdout (its event writer): discarded.
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
      (await Deno.connect({ hostname: "127.0.0.1", port: grpc })).close();
      return { address: `127.0.0.1:${grpc}`, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await stop();
  throw new Error(`kyverno-authz did not listen on ${grpc}: ${log.join("")}`);
}
