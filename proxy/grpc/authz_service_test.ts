/**
 * The gRPC ext_authz Check over a real grpc-js listener and client, decided by the same data
 * plane `apigw authz` builds (a real JWKS server for the JWT rules): allow, deny, metadata, the
 * `header_map` form, bad input as RPC errors while the server keeps serving, and the deadline.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { createLogger } from "../../lib/log.ts";
import { apiRule, GATEWAY } from "../../core/authz/_testing.ts";
import { compilePolicyIndex } from "../../core/authz/policy_index.ts";
import { compileGlobalLimits } from "../../core/ratelimit/global.ts";
import { startIdp, type TestIdp } from "../../tests/authz/idp.ts";
import { TEST_OPTIONS } from "../_testing.ts";
import { authzDeps, type AuthzOptions } from "../app.ts";
import { createDataPlane } from "../dataplane.ts";
import { AUTHZ_SERVICE, clientBudget, createGrpcCheck } from "./authz_service.ts";
import { startGrpcServer } from "./server.ts";

const HOST = "orders.local.kyma.dev";

function objects(idp: TestIdp): unknown[] {
  return [
    apiRule("orders", [
      { path: "/public/{**}", methods: ["GET"], noAuth: true },
      {
        path: "/api/{**}",
        methods: ["GET"],
        jwt: {
          authentications: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }],
          authorizations: [{ requiredScopes: ["orders:read"] }],
        },
      },
    ], { host: HOST }),
  ];
}

interface Fixture extends AsyncDisposable {
  client: grpc.Client & Record<string, CallableFunction>;
  health: grpc.Client & Record<string, CallableFunction>;
  idp: TestIdp;
  logs: Record<string, unknown>[];
}

async function fixture(
  authz: Partial<AuthzOptions> = {},
  maxMessageBytes?: number,
  maxInFlight?: number,
) {
  const idp = await startIdp();
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const { index } = compilePolicyIndex([GATEWAY, ...objects(idp)], { providerName: "apigw" });
  const limits = compileGlobalLimits([]);
  const plane = createDataPlane({
    log,
    limiting: { redisTimeoutMs: 50, localKeys: 1000 },
    globalLimits: { current: () => limits },
  });
  const deps = authzDeps(plane, { current: () => index }, { ...TEST_OPTIONS, ...authz });
  const server = await startGrpcServer({
    hostname: "127.0.0.1",
    port: 0,
    authz: {
      check: createGrpcCheck(deps, maxInFlight !== undefined ? { maxInFlight } : undefined),
      serving: () => true,
    },
    log,
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
  });
  const definitions = loadFileDescriptorSetFromBuffer(
    Buffer.from(await Deno.readFile(new URL("./envoy.protoset", import.meta.url))),
    { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true },
  );
  // deno-lint-ignore no-explicit-any
  const loaded: any = grpc.loadPackageDefinition(definitions);
  const address = `127.0.0.1:${server.port}`;
  const credentials = grpc.credentials.createInsecure();
  const client = new loaded.envoy.service.auth.v3.Authorization(address, credentials);
  const health = new loaded.grpc.health.v1.Health(address, credentials);
  return {
    client,
    health,
    idp,
    logs,
    async [Symbol.asyncDispose]() {
      client.close();
      health.close();
      await server.close(0);
      await plane.close();
      await idp.close();
    },
  } satisfies Fixture;
}

type Reply = { error: grpc.ServiceError | null; response: Record<string, unknown> | undefined };

function unary(
  client: Record<string, CallableFunction>,
  method: string,
  request: unknown,
  deadlineMs = 10_000,
): Promise<Reply> {
  return new Promise((resolve) =>
    client[method]!(
      request,
      { deadline: Date.now() + deadlineMs },
      (error: grpc.ServiceError | null, response?: Record<string, unknown>) =>
        resolve({ error, response }),
    )
  );
}

function checkRequest(path: string, headers: Record<string, string> = {}) {
  return {
    attributes: {
      source: { address: { socket_address: { address: "10.0.0.7", port_value: 51000 } } },
      request: {
        http: {
          method: "GET",
          host: HOST,
          path,
          scheme: "https",
          protocol: "HTTP/1.1",
          // A map: its entries as proto-loader's descriptor-set messages want them.
          headers: Object.entries(headers).map(([key, value]) => ({ key, value })),
        },
      },
    },
  };
}

// deno-lint-ignore no-explicit-any
function summary(reply: Reply): any {
  assert.equal(reply.error, null, String(reply.error?.message));
  // deno-lint-ignore no-explicit-any
  const r: any = reply.response;
  const fields = Object.fromEntries(
    // deno-lint-ignore no-explicit-any
    (r.dynamic_metadata?.fields ?? []).map((e: any) => [e.key, e.value]),
  );
  const headers = Object.fromEntries(
    // deno-lint-ignore no-explicit-any
    (r.denied_response?.headers ?? r.ok_response?.headers ?? []).map((h: any) => [
      h.header.key,
      h.header.value,
    ]),
  );
  return {
    code: r.status?.code ?? 0,
    http: r.denied_response?.status?.code,
    reason: fields.reason?.string_value,
    headers,
    body: r.denied_response?.body,
  };
}

Deno.test("gRPC Check: allow, 401, 403 and 404 as the issue's table (CheckResponse)", async () => {
  await using f = await fixture();
  const token = await f.idp.sign({ scope: "orders:read" });
  const weak = await f.idp.sign({ scope: "orders:write" });

  const allowed = summary(await unary(f.client, "Check", checkRequest("/public/a?x=1")));
  assert.deepEqual([allowed.code, allowed.http, allowed.reason], [0, undefined, "no_auth"]);

  const jwt = summary(
    await unary(f.client, "Check", checkRequest("/api/o", { authorization: `Bearer ${token}` })),
  );
  assert.deepEqual([jwt.code, jwt.reason], [0, "jwt_valid"]);

  const missing = summary(await unary(f.client, "Check", checkRequest("/api/o")));
  assert.deepEqual([missing.code, missing.http, missing.reason], [
    16,
    "Unauthorized",
    "missing_token",
  ]);
  assert.match(missing.headers["www-authenticate"], /^Bearer realm="apigw"/);
  assert.equal(missing.headers["content-type"], "application/problem+json");
  assert.equal(JSON.parse(missing.body).reason, "missing_token");

  const scope = summary(
    await unary(f.client, "Check", checkRequest("/api/o", { authorization: `Bearer ${weak}` })),
  );
  assert.deepEqual([scope.code, scope.http, scope.reason], [7, "Forbidden", "insufficient_scope"]);

  const none = summary(await unary(f.client, "Check", checkRequest("/nothing")));
  assert.deepEqual([none.code, none.http, none.reason], [7, "NotFound", "no_rule_matched"]);
  const denied = f.logs.filter((l) => l.msg === "Denied request" && l.protocol === "grpc");
  assert.deepEqual(denied.map((l) => l.reason), [
    "missing_token",
    "insufficient_scope",
    "no_rule_matched",
  ]);
});

Deno.test("gRPC Check: header_map with raw_value reads as the headers map", async () => {
  await using f = await fixture();
  const token = await f.idp.sign({ scope: "orders:read" });
  const request = checkRequest("/api/o");
  const http = request.attributes.request.http as Record<string, unknown>;
  delete http.headers;
  http.header_map = {
    headers: [
      { key: "Authorization", raw_value: new TextEncoder().encode(`Bearer ${token}`) },
      { key: "x-other", value: "1" },
    ],
  };
  assert.equal(summary(await unary(f.client, "Check", request)).reason, "jwt_valid");
  // Two entries of one name are two Authorization headers, as the HTTP check sees them.
  http.header_map = {
    headers: [
      { key: "authorization", value: `Bearer ${token}` },
      { key: "authorization", value: `Bearer ${token}` },
    ],
  };
  const twice = summary(await unary(f.client, "Check", request));
  assert.equal(twice.code, 16);
});

Deno.test("gRPC Check: bad input is an RPC error and the server keeps serving", async () => {
  await using f = await fixture({}, 64 * 1024);
  const noHttp = await unary(f.client, "Check", { attributes: { request: {} } });
  assert.equal(noHttp.error?.code, grpc.status.INVALID_ARGUMENT);
  assert.match(noHttp.error?.details ?? "", /attributes\.request\.http is missing/);
  const noPath = await unary(f.client, "Check", {
    attributes: { request: { http: { method: "GET", host: HOST } } },
  });
  assert.equal(noPath.error?.code, grpc.status.INVALID_ARGUMENT);

  const raw = (bytes: Uint8Array) =>
    new Promise<grpc.ServiceError | null>((resolve) =>
      f.client.makeUnaryRequest(
        `/${AUTHZ_SERVICE}/Check`,
        (b: Uint8Array) => Buffer.from(b),
        (b: Buffer) => b,
        bytes,
        (error: grpc.ServiceError | null) => resolve(error),
      )
    );
  // Field 1 (attributes) as a length-delimited field claiming 100 bytes that are not there.
  assert.equal((await raw(new Uint8Array([0x0a, 100, 1, 2])))?.code, grpc.status.INTERNAL);
  const huge = await unary(
    f.client,
    "Check",
    checkRequest("/public/a", { "x-big": "a".repeat(100 * 1024) }),
  );
  assert.equal(huge.error?.code, grpc.status.RESOURCE_EXHAUSTED);

  assert.equal(summary(await unary(f.client, "Check", checkRequest("/public/a"))).code, 0);
  const health = await unary(f.health, "Check", { service: AUTHZ_SERVICE });
  assert.equal(health.response?.status, "SERVING");
  const unknown = await unary(f.health, "Check", { service: "nope" });
  assert.equal(unknown.error?.code, grpc.status.NOT_FOUND);
});

Deno.test("gRPC Check: the client's deadline bounds a JWKS wait (503 UNAVAILABLE, a deny)", async () => {
  // apigw's own budget is a minute: only the client's deadline can end the wait in time.
  await using f = await fixture({ deadlineMs: 60_000 });
  f.idp.mode = "hang";
  const token = await f.idp.sign({ scope: "orders:read" });
  const reply = await unary(
    f.client,
    "Check",
    checkRequest("/api/o", { authorization: `Bearer ${token}` }),
    3_000,
  );
  const answer = summary(reply);
  assert.equal(answer.code, 14);
  assert.equal(answer.http, "ServiceUnavailable");
});

Deno.test("gRPC Check: decisions waiting beyond the cap are overload (RESOURCE_EXHAUSTED)", async () => {
  await using f = await fixture({ deadlineMs: 2_000 }, undefined, 1);
  f.idp.mode = "hang";
  const token = await f.idp.sign({ scope: "orders:read" });
  const jwt = () =>
    unary(f.client, "Check", checkRequest("/api/o", { authorization: `Bearer ${token}` }));
  // Two decisions that wait for the hung JWKS at once: the second is one too many.
  const both = Promise.all([jwt(), jwt()]);
  // A decision that needs no wait is answered meanwhile.
  assert.equal(summary(await unary(f.client, "Check", checkRequest("/public/a"))).code, 0);
  const replies = await both;
  const overloaded = replies.filter((r) => r.error?.code === grpc.status.RESOURCE_EXHAUSTED);
  assert.equal(overloaded.length, 1, JSON.stringify(replies.map((r) => r.error?.details)));
  assert.match(overloaded[0]!.error!.details, /too many checks in flight/);
  const decided = replies.find((r) => r.error === null);
  assert.equal(summary(decided!).code, 14);
});

Deno.test("clientBudget keeps a margin for the answer to reach Envoy", () => {
  assert.equal(clientBudget(Infinity), Infinity);
  assert.equal(clientBudget(200), 160);
  assert.equal(clientBudget(5_000), 4_800);
  assert.equal(clientBudget(10), 0);
});
