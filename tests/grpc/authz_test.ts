/**
 * Issue 15 B: `apigw authz --grpc-listen` (Envoy ext_authz v3 over gRPC) against real gRPC peers
 * not written in this repository's TypeScript: the Go test client built with go-control-plane's
 * generated types (tool/rlsclient -authz) sends CheckRequests as Envoy's ext_authz filter fills
 * them, and grpcurl with the committed protoset checks health and makes a smoke call. Peers are
 * built by tests/run.ts's build phase (tests/grpc/build.ts); without them the tests skip.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { startIdp, type TestIdp } from "../authz/idp.ts";
import { configFolder } from "../dataplane/_front_ends.ts";
import { cachedGrpcPeers } from "./build.ts";
import { type ClientResult, goClient, PROTOSET, runPeer, startGrpcAuthz } from "./_peers.ts";

const peers = await cachedGrpcPeers();
const ignore = peers === undefined;
if (ignore) {
  console.log(
    "Skipped tests/grpc/authz_test.ts: the gRPC peers are not built (deno task grpc:build)",
  );
}

const encodeBase64 = (data: string | Uint8Array) => Buffer.from(data).toString("base64");

const ORDERS = "orders.local.kyma.dev";
const LEGACY = "legacy.local.kyma.dev";
/** The limited workload's address (the Pod below); checks for it name it as the destination. */
const POD = "127.0.0.1";
/** A workload without global limits. */
const OTHER_POD = "10.9.9.9";

function objects(idp: TestIdp): unknown[] {
  const jwt = { authentications: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }] };
  const bucket = (maxTokens: number) => ({ maxTokens, tokensPerFill: 1, fillInterval: "1h" });
  return [
    {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { namespace: "kyma-system", name: "kyma-gateway" },
      spec: {
        selector: { app: "istio-ingressgateway" },
        servers: [{
          hosts: ["*.local.kyma.dev"],
          port: { number: 443, name: "https", protocol: "HTTPS" },
        }],
      },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "orders-0",
        namespace: "shop",
        labels: { app: "orders" },
        annotations: { "sidecar.istio.io/status": "{}" },
      },
      spec: { containers: [{ name: "orders" }, { name: "istio-proxy" }] },
      status: { podIP: POD, podIPs: [{ ip: POD }] },
    },
    {
      apiVersion: "gateway.kyma-project.io/v2",
      kind: "APIRule",
      metadata: { name: "orders", namespace: "shop" },
      spec: {
        gateway: "kyma-system/kyma-gateway",
        hosts: [ORDERS],
        service: { name: "orders", namespace: "shop", port: 8080 },
        rules: [
          { path: "/public/{**}", methods: ["GET"], noAuth: true },
          { path: "/limited", methods: ["GET"], noAuth: true },
          {
            path: "/read",
            methods: ["GET"],
            jwt: { ...jwt, authorizations: [{ requiredScopes: ["orders:read"] }] },
          },
        ],
      },
    },
    {
      apiVersion: "gateway.kyma-project.io/v1beta1",
      kind: "APIRule",
      metadata: { name: "legacy", namespace: "shop" },
      spec: {
        host: LEGACY,
        gateway: "kyma-system/kyma-gateway",
        service: { name: "orders", port: 8080 },
        rules: [{
          path: "/anonymous",
          methods: ["GET"],
          accessStrategies: [{ handler: "anonymous", config: { subject: "guest" } }],
          mutators: [{ handler: "header", config: { headers: { "X-User": "{{ .Subject }}" } } }],
        }],
      },
    },
    {
      apiVersion: "gateway.kyma-project.io/v1alpha1",
      kind: "RateLimit",
      metadata: { name: "orders-limit", namespace: "shop" },
      spec: {
        selectorLabels: { app: "orders" },
        enableResponseHeaders: true,
        local: { defaultBucket: bucket(10_000) },
        global: {
          key: { header: { name: "x-api-key" } },
          defaultBucket: bucket(10_000),
          buckets: [{ path: "/limited", bucket: bucket(2) }],
        },
      },
    },
  ];
}

interface Http {
  host?: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  headerMap?: { key: string; value?: string; rawValue?: string }[];
  destination?: string;
}

/** A CheckRequest as Envoy's ext_authz filter fills it (pseudo-headers in the map too). */
function checkRequest(http: Http): Record<string, unknown> {
  const host = http.host ?? ORDERS;
  const method = http.method ?? "GET";
  return {
    attributes: {
      source: { address: { socketAddress: { address: "10.1.2.3", portValue: 51234 } } },
      destination: {
        address: { socketAddress: { address: http.destination ?? OTHER_POD, portValue: 8080 } },
      },
      request: {
        time: new Date().toISOString(),
        http: {
          id: "1234",
          method,
          host,
          path: http.path,
          scheme: "https",
          protocol: "HTTP/1.1",
          ...(http.headerMap !== undefined ? { headerMap: { headers: http.headerMap } } : {
            headers: {
              ":authority": host,
              ":method": method,
              ":path": http.path,
              "x-request-id": crypto.randomUUID(),
              ...http.headers,
            },
          }),
        },
      },
    },
  };
}

interface Answer {
  code: number;
  http: string | undefined;
  reason: string | undefined;
  headers: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

/** The parts of a CheckResponse (protojson) the tests compare. */
function answer(result: ClientResult): Answer {
  assert.equal(result.code, undefined, `RPC error ${result.code}: ${result.message}`);
  const r = result.response!;
  const headers: Record<string, string> = {};
  const options = [
    ...(r.deniedResponse?.headers ?? []),
    ...(r.okResponse?.headers ?? []),
    ...(r.okResponse?.responseHeadersToAdd ?? []),
  ];
  for (const option of options) headers[option.header.key.toLowerCase()] = option.header.value;
  return {
    code: r.status?.code ?? 0,
    http: r.deniedResponse?.status?.code,
    reason: r.dynamicMetadata?.reason,
    headers,
    body: r.deniedResponse?.body === undefined ? undefined : JSON.parse(r.deniedResponse.body),
  };
}

async function setup(args: string[] = []) {
  const idp = await startIdp();
  const folder = await configFolder(objects(idp));
  const authz = await startGrpcAuthz(folder.dir, args);
  return {
    idp,
    authz,
    async [Symbol.asyncDispose]() {
      await authz[Symbol.asyncDispose]();
      await folder[Symbol.asyncDispose]();
      await idp.close();
    },
  };
}

Deno.test({
  name: "Check answers the Go client (go-control-plane types) as the issue's table",
  ignore,
  async fn() {
    await using s = await setup();
    const read = await s.idp.sign({ scope: "orders:read" });
    const write = await s.idp.sign({ scope: "orders:write" });
    const key = crypto.randomUUID();
    const limited = checkRequest({
      path: "/limited?x=1",
      headers: { "x-api-key": key },
      destination: POD,
    });
    const results = await goClient(peers!.rlsclient, s.authz.address, [
      checkRequest({ path: "/public/a?q=1" }),
      checkRequest({ path: "/read", headers: { authorization: `Bearer ${read}` } }),
      checkRequest({ path: "/read" }),
      checkRequest({ path: "/read", headers: { authorization: `Bearer ${write}` } }),
      checkRequest({ path: "/nowhere" }),
      checkRequest({ host: "unknown.example.com", path: "/" }),
      limited,
      limited,
      limited,
      checkRequest({ host: LEGACY, path: "/anonymous" }),
      checkRequest({
        path: "/read",
        headerMap: [
          { key: ":authority", value: ORDERS },
          { key: "authorization", rawValue: encodeBase64(`Bearer ${read}`) },
        ],
      }),
      checkRequest({
        path: "/read",
        headerMap: [
          { key: "authorization", rawValue: encodeBase64(`Bearer ${read}`) },
          { key: "authorization", rawValue: encodeBase64(`Bearer ${read}`) },
        ],
      }),
    ], { authz: true });
    const [
      allowed,
      jwt,
      missing,
      scope,
      noRule,
      unknownHost,
      first,
      second,
      third,
      mutated,
      headerMap,
      twice,
    ] = results.map(answer);
    const brief = (a: Answer) => [a.code, a.http, a.reason];
    assert.deepEqual(brief(allowed!), [0, undefined, "no_auth"]);
    assert.deepEqual(brief(jwt!), [0, undefined, "jwt_valid"]);
    assert.deepEqual(brief(missing!), [16, "Unauthorized", "missing_token"]);
    assert.match(missing!.headers["www-authenticate"] ?? "", /^Bearer realm="apigw"/);
    assert.equal(missing!.headers["content-type"], "application/problem+json");
    assert.equal(missing!.body?.reason, "missing_token");
    assert.equal(missing!.body?.status, 401);
    assert.deepEqual(brief(scope!), [7, "Forbidden", "insufficient_scope"]);
    assert.match(scope!.headers["www-authenticate"] ?? "", /insufficient_scope/);
    assert.deepEqual(brief(noRule!), [7, "NotFound", "no_rule_matched"]);
    assert.deepEqual(brief(unknownHost!), [7, "NotFound", "no_rule_matched"]);
    // The destination is the limited workload: its RateLimit counts per x-api-key.
    assert.deepEqual(brief(first!), [0, undefined, "no_auth"]);
    assert.match(first!.headers["ratelimit"] ?? "", /r=1/);
    assert.deepEqual(brief(second!), [0, undefined, "no_auth"]);
    assert.deepEqual(brief(third!), [8, "TooManyRequests", "rate_limited"]);
    assert.match(third!.headers["ratelimit"] ?? "", /r=0/);
    assert.ok(Number(third!.headers["retry-after"]) > 0, JSON.stringify(third!.headers));
    assert.ok(third!.headers["ratelimit-policy"], JSON.stringify(third!.headers));
    assert.deepEqual(brief(mutated!), [0, undefined, "anonymous_strategy"]);
    assert.equal(mutated!.headers["x-user"], "guest");
    assert.deepEqual(brief(headerMap!), [0, undefined, "jwt_valid"]);
    assert.deepEqual(brief(twice!), [16, "Unauthorized", "ambiguous_token"]);
    const metadata = results[0]!.response!.dynamicMetadata;
    assert.deepEqual(metadata, {
      decision: "allow",
      reason: "no_auth",
      step: metadata.step,
      status: 200,
      rule: metadata.rule,
    });
  },
});

Deno.test({
  name: "Check: malformed, oversized and incomplete requests get an RPC error, never a crash",
  ignore,
  async fn() {
    await using s = await setup();
    const results = await goClient(peers!.rlsclient, s.authz.address, [
      // Field 1 (attributes) claiming 100 bytes that are not there.
      { raw: encodeBase64(new Uint8Array([0x0a, 100, 1, 2])) },
      {},
      { attributes: { request: { http: { method: "GET", host: ORDERS } } } },
      checkRequest({ path: "/public/a", headers: { "x-big": "a".repeat(2 * 1024 * 1024) } }),
      checkRequest({ path: "/public/a" }),
    ], { authz: true });
    assert.deepEqual(results.slice(0, 4).map((r) => r.code), [
      "Internal",
      "InvalidArgument",
      "InvalidArgument",
      "ResourceExhausted",
    ]);
    assert.match(results[1]!.message ?? "", /attributes\.request\.http is missing/);
    assert.match(results[2]!.message ?? "", /path is missing/);
    assert.equal(answer(results[4]!).reason, "no_auth");
    assert.ok(s.authz.running(), "apigw authz still runs");
  },
});

Deno.test({
  name: "grpcurl with the committed protoset: health and a smoke Check, on both HTTP/2 layers",
  ignore,
  async fn(t) {
    for (const layer of ["apigw", "node"]) {
      await t.step(`--grpc-http2 ${layer}`, () => grpcurlSmoke(["--grpc-http2", layer]));
    }
  },
});

async function grpcurlSmoke(args: string[]) {
  {
    await using s = await setup(args);
    const base = ["-plaintext", "-protoset", PROTOSET];
    for (const service of [[], ["-d", '{"service":"envoy.service.auth.v3.Authorization"}']]) {
      const health = await runPeer(peers!.grpcurl, [
        ...base,
        ...service,
        s.authz.address,
        "grpc.health.v1.Health/Check",
      ]);
      assert.ok(health.success, health.stderr);
      assert.deepEqual(JSON.parse(health.stdout), { status: "SERVING" });
    }
    const smoke = await runPeer(peers!.grpcurl, [
      ...base,
      "-d",
      JSON.stringify(checkRequest({ path: "/read" })),
      s.authz.address,
      "envoy.service.auth.v3.Authorization/Check",
    ]);
    assert.ok(smoke.success, smoke.stderr);
    const response = JSON.parse(smoke.stdout);
    assert.equal(response.status.code, 16);
    assert.equal(response.deniedResponse.status.code, "Unauthorized");
    assert.equal(response.dynamicMetadata.reason, "missing_token");
  }
}
