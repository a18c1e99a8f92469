import assert from "node:assert/strict";
import type { HubObject, HubSpec, V1beta1Object } from "./_types.ts";
import { fromHub } from "./from_hub.ts";
import { toHub } from "./to_hub.ts";

const ORIGINAL = "gateway.kyma-project.io/original-version";
const SAVED = "gateway.kyma-project.io/v1beta1-spec";

const HUB_SPEC: HubSpec = {
  hosts: ["orders.example.com"],
  service: { name: "orders", port: 8080 },
  gateway: "kyma-system/kyma-gateway",
  rules: [{ path: "/orders/{**}", methods: ["GET"], noAuth: true }],
};

function v1beta1(source: HubObject): V1beta1Object {
  const result = fromHub(source);
  assert.ok(result.ok, result.ok ? "" : `${result.error.field}: ${result.error.reason}`);
  return result.value;
}

Deno.test("fromHub() copies metadata and maps the status (§8 steps 1, 2)", () => {
  const metadata = {
    name: "orders",
    namespace: "shop",
    labels: { a: "b" },
    annotations: { [ORIGINAL]: "v2" },
  };
  const result = v1beta1({
    metadata,
    spec: HUB_SPEC,
    status: {
      state: "Ready",
      description: "Reconciled",
      lastProcessedTime: "2025-03-01T10:00:00Z",
    },
  });
  assert.deepEqual(result.metadata, metadata);
  assert.deepEqual(result.status, {
    lastProcessedTime: "2025-03-01T10:00:00Z",
    APIRuleStatus: { code: "OK", desc: "Reconciled" },
  });
  assert.equal(v1beta1({ metadata, spec: HUB_SPEC }).status, undefined);
});

Deno.test("fromHub() restores the spec of a v1beta1-authored APIRule from its annotation (§8 step 3)", () => {
  const saved = {
    host: "httpbin",
    gateway: "kyma-gateway.kyma-system",
    rules: [{ path: "/.*", methods: ["GET"], accessStrategies: [{ handler: "allow" }] }],
  };
  const result = v1beta1({
    metadata: { annotations: { [ORIGINAL]: "v1beta1", [SAVED]: JSON.stringify(saved) } },
    spec: { hosts: ["changed"] },
  });
  assert.deepEqual(result.spec, saved);
});

Deno.test("fromHub() fails when the v1beta1-spec annotation is missing or unreadable, naming it (§15)", async (t) => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ["missing", { [ORIGINAL]: "v1beta1" }, /is missing/],
    ["not JSON", { [ORIGINAL]: "v1beta1", [SAVED]: "{" }, /is not valid JSON/],
    ["not a spec", { [ORIGINAL]: "v1beta1", [SAVED]: '{"host":1}' }, /must be a string/],
    [
      "bad maxAge",
      { [ORIGINAL]: "v1beta1", [SAVED]: '{"corsPolicy":{"maxAge":"5x"}}' },
      /unit "x" is not supported/,
    ],
  ];
  for (const [name, annotations, reason] of cases) {
    await t.step(name, () => {
      const result = fromHub({ metadata: { annotations }, spec: HUB_SPEC });
      assert.equal(result.ok, false);
      assert.ok(!result.ok && result.error.field.startsWith(`metadata.annotations[${SAVED}]`));
      assert.match(result.ok ? "" : result.error.reason, reason);
    });
  }
});

Deno.test("fromHub() gives other APIRules a best-effort v1beta1 spec, where upstream gives an empty one (§17 item 4)", () => {
  const spec: HubSpec = {
    hosts: ["orders.example.com"],
    service: { name: "orders", port: 8080 },
    gateway: "kyma-system/kyma-gateway",
    externalGateway: "ns/external",
    corsPolicy: { allowOrigins: [{ exact: "https://a" }], allowCredentials: false, maxAge: 90 },
    timeout: 120,
    rules: [
      { path: "/a", methods: ["GET"], noAuth: true, request: {} },
      {
        path: "/b/{*}",
        service: { name: "b", port: 1 },
        methods: ["POST"],
        jwt: { authentications: [{ issuer: "i", jwksUri: "k" }] },
        timeout: 5,
        request: { headers: { "X-A": "a" }, cookies: { c: "1" } },
      },
      { path: "/c", methods: ["PUT"], extAuth: { authorizers: ["x"] } },
    ],
  };
  const result = v1beta1({ metadata: { annotations: { [ORIGINAL]: "v2" } }, spec });
  assert.deepEqual(result.spec, {
    host: "orders.example.com",
    service: { name: "orders", port: 8080 },
    gateway: "kyma-system/kyma-gateway",
    corsPolicy: {
      allowOrigins: [{ exact: "https://a" }],
      allowCredentials: false,
      maxAge: "1m30s",
    },
    rules: [
      { path: "/a", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }], mutators: [] },
      {
        path: "/b/{*}",
        service: { name: "b", port: 1 },
        methods: ["POST"],
        accessStrategies: [{
          handler: "jwt",
          config: { authentications: [{ issuer: "i", jwksUri: "k" }] },
        }],
        mutators: [
          { handler: "header", config: { headers: { "X-A": "a" } } },
          { handler: "cookie", config: { cookies: { c: "1" } } },
        ],
        timeout: 5,
      },
      {
        path: "/c",
        methods: ["PUT"],
        accessStrategies: [{ handler: "ext-auth", config: { authorizers: ["x"] } }],
      },
    ],
    timeout: 120,
  });
  // Written back through v1beta1, the view gives the same hub spec (less externalGateway).
  const back = toHub({ metadata: { annotations: { [ORIGINAL]: "v2" } }, spec: result.spec ?? {} });
  const { externalGateway: _lost, ...expected } = spec;
  assert.deepEqual(back.ok && back.value.spec, expected);
});

Deno.test("fromHub() gives an APIRule without original-version the best-effort view too", () => {
  assert.equal(v1beta1({ metadata: {}, spec: HUB_SPEC }).spec?.host, "orders.example.com");
  assert.deepEqual(v1beta1({ metadata: {} }).spec, {});
});
