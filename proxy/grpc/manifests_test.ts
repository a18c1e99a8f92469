import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { GATEWAY } from "../../core/authz/_testing.ts";
import { runCli } from "../../cli/mod.ts";
import { authzManifests } from "../manifests.ts";
import { GRPC_AUTHZ_PORT, GRPC_PROVIDER_NAME } from "./manifests.ts";

/** The APIRule's Service and a Pod with a sidecar behind it (render validates injection). */
const BACKEND = [
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "backend", namespace: "default" },
    spec: { selector: { app: "backend" }, ports: [{ port: 8080 }] },
  },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "backend-0",
      namespace: "default",
      labels: { app: "backend" },
      annotations: { "sidecar.istio.io/status": "{}" },
    },
    spec: { containers: [{ name: "backend" }, { name: "istio-proxy" }] },
  },
];

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: () => undefined,
    signal: new AbortController().signal,
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

Deno.test("authzManifests() serves gRPC ext_authz on its own port (appProtocol grpc)", () => {
  const objects = authzManifests({ image: "apigw:test" });
  const text = stringify(objects);
  assert.match(text, /- --grpc-listen\n\s+- 0\.0\.0\.0:9191\n/);
  assert.match(text, /- name: grpc-authz\n\s+containerPort: 9191\n/);
  assert.match(
    text,
    /- name: grpc-authz\n\s+port: 9191\n\s+targetPort: grpc-authz\n\s+appProtocol: grpc\n/,
  );
});

Deno.test("apigw manifests --extension-provider --grpc adds the envoyExtAuthzGrpc provider", async () => {
  const { code, stdout } = await cli(["manifests", "--extension-provider", "--grpc"]);
  assert.equal(code, 0);
  const printed = parse(stdout) as Record<string, Record<string, unknown[]>>;
  const providers = printed.meshConfig!.extensionProviders!;
  // The HTTP provider stays: APIRule v2 extAuth authorizers must name an envoyExtAuthzHttp one.
  assert.deepEqual(providers.map((p) => Object.keys(p as object)[1]), [
    "envoyExtAuthzHttp",
    "envoyExtAuthzGrpc",
  ]);
  assert.deepEqual(providers[1], {
    name: GRPC_PROVIDER_NAME,
    envoyExtAuthzGrpc: {
      service: "apigw-authz.kyma-system.svc.cluster.local",
      port: GRPC_AUTHZ_PORT,
      timeout: "1s",
      statusOnError: "503",
    },
  });
  assert.deepEqual(printed.apiGatewayConfig, {
    jwtHandler: "apigw",
    apigwProvider: GRPC_PROVIDER_NAME,
  });
  const without = parse((await cli(["manifests", "--extension-provider"])).stdout);
  assert.equal((without as Record<string, unknown>).apiGatewayConfig, undefined);
  const misuse = await cli(["manifests", "--grpc"]);
  assert.equal(misuse.code, 2);
  assert.match(misuse.stderr, /--grpc is only read with --extension-provider/);
});

Deno.test("apigw render with the printed api-gateway-config names the gRPC provider", async () => {
  const { stdout } = await cli(["manifests", "--extension-provider", "--grpc", "-o", "json"]);
  const config = JSON.parse(stdout).apiGatewayConfig as Record<string, string>;
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/objects.yaml`;
    const objects = [
      GATEWAY,
      ...BACKEND,
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "api-gateway-config", namespace: "kyma-system" },
        data: { "api-gateway-config": stringify(config) },
      },
      {
        apiVersion: "gateway.kyma-project.io/v1beta1",
        kind: "APIRule",
        metadata: { name: "orders", namespace: "default" },
        spec: {
          host: "orders.local.kyma.dev",
          gateway: "kyma-system/kyma-gateway",
          service: { name: "backend", port: 8080 },
          rules: [{
            path: "/.*",
            methods: ["GET"],
            accessStrategies: [{
              handler: "oauth2_introspection",
              config: { introspection_url: "https://idp.example.com/introspect" },
            }],
          }],
        },
      },
    ];
    await Deno.writeTextFile(file, objects.map((o) => stringify(o)).join("---\n"));
    const rendered = await cli(["render", "-f", file, "-o", "json"]);
    assert.equal(rendered.code, 0, rendered.stderr);
    const providers = [...rendered.stdout.matchAll(/"provider":\s*\{\s*"name":\s*"([^"]+)"/g)]
      .map((m) => m[1]);
    assert.deepEqual(providers, [GRPC_PROVIDER_NAME]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
