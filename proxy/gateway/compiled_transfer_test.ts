import assert from "node:assert/strict";
import { compileGateway } from "./config.ts";
import { fromPlain, toPlain } from "./compiled_transfer.ts";

const SERVICE = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "orders", namespace: "shop", labels: { app: "orders" } },
  spec: { type: "ExternalName", externalName: "orders.internal", ports: [{ port: 8080 }] },
};
const RULE = {
  apiVersion: "gateway.kyma-project.io/v2",
  kind: "APIRule",
  metadata: { name: "orders", namespace: "shop" },
  spec: {
    hosts: ["orders.example.com"],
    gateway: "kyma-system/kyma-gateway",
    service: { name: "orders", port: 8080 },
    corsPolicy: {
      allowOrigins: [{ exact: "https://a.example" }, { regex: "https://.*\\.b\\.example" }],
      allowMethods: ["GET"],
    },
    rules: [
      { path: "/items/{*}", methods: ["GET"], noAuth: true, timeout: 7 },
      {
        path: "/admin/{**}",
        methods: ["POST"],
        jwt: { authentications: [{ issuer: "https://idp", jwksUri: "https://idp/jwks" }] },
      },
      { path: "/*", methods: ["GET"], noAuth: true },
    ],
  },
};
const { corsPolicy: _, ...NO_CORS } = RULE.spec;
const WILDCARD = {
  ...RULE,
  metadata: { name: "shop", namespace: "shop" },
  spec: { ...NO_CORS, hosts: ["*.shop.example.com"] },
};
const RATE_LIMIT = {
  apiVersion: "gateway.kyma-project.io/v1alpha1",
  kind: "RateLimit",
  metadata: { name: "orders", namespace: "shop" },
  spec: {
    selectorLabels: { app: "orders" },
    local: { defaultBucket: { maxTokens: 5, tokensPerFill: 5, fillInterval: "1s" } },
  },
};
const REQUESTS = [
  { host: "orders.example.com", method: "GET", path: "/items/42" },
  { host: "orders.example.com", method: "GET", path: "/items/42/x" },
  { host: "x.shop.example.com", method: "POST", path: "/admin/users" },
  { host: "x.shop.example.com", method: "GET", path: "/anything" },
  { host: "orders.example.com", method: "DELETE", path: "/items/1" },
  { host: "other.example.com", method: "GET", path: "/" },
];

Deno.test("a gateway config crosses a structured clone and decides as before", () => {
  const compiled = compileGateway([SERVICE, RULE, WILDCARD, RATE_LIMIT], { providerName: "apigw" });
  assert.deepEqual(compiled.problems, []);
  const plain = toPlain(compiled);
  assert.ok(plain !== undefined);
  const copy = fromPlain(structuredClone(plain));
  assert.equal(copy.config.routes.size, 6);
  assert.ok(REQUESTS.filter((r) => copy.config.index.match(r) !== undefined).length >= 3);
  for (const request of REQUESTS) {
    assert.equal(
      copy.config.index.match(request)?.id,
      compiled.config.index.match(request)?.id,
      `${request.method} ${request.host}${request.path}`,
    );
  }
  assert.deepEqual([...copy.config.routes.keys()], [...compiled.config.routes.keys()]);
  for (const [id, route] of compiled.config.routes) {
    const other = copy.config.routes.get(id)!;
    const { rule: ruleA, cors: corsA, ...restA } = route;
    const { rule: ruleB, cors: corsB, ...restB } = other;
    assert.deepEqual(restB, restA);
    // decideRule() runs on the route's rule: its data and rebuilt path matcher are the worker's.
    const { matchesPath: matchA, ...dataA } = ruleA;
    const { matchesPath: matchB, ...dataB } = ruleB;
    assert.deepEqual(dataB, dataA);
    for (const path of ["/", "/orders/1", "/a/b/c", "/x"]) {
      assert.equal(matchB(path), matchA(path), `${id} ${path}`);
    }
    for (const origin of ["https://a.example", "https://x.b.example", "https://c.example"]) {
      assert.equal(corsB?.allowsOrigin(origin), corsA?.allowsOrigin(origin), origin);
    }
  }
  assert.deepEqual(copy.config.index.jwksUris, ["https://idp/jwks"]);
  assert.deepEqual(copy.config.globalLimits, compiled.config.globalLimits);
  // A route's rule is the very rule the host index matches, as in the serving config.
  for (const rules of copy.config.index.hosts.values()) {
    for (const rule of rules) assert.equal(copy.config.routes.get(rule.id)?.rule, rule);
  }
});

Deno.test("a config with APIRule v1beta1 access rules stays on the serving thread", () => {
  const v1beta1 = {
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name: "legacy", namespace: "shop" },
    spec: {
      host: "legacy.example.com",
      gateway: "kyma-system/kyma-gateway",
      service: { name: "orders", port: 8080 },
      rules: [{
        path: "/*",
        methods: ["GET"],
        accessStrategies: [{ handler: "no_auth" }],
      }],
    },
  };
  const compiled = compileGateway([SERVICE, v1beta1], { providerName: "apigw" });
  assert.ok(compiled.config.routes.size > 0, JSON.stringify(compiled.problems));
  assert.equal(toPlain(compiled), undefined);
});
