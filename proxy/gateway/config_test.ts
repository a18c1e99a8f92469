import assert from "node:assert/strict";
import { compileGateway } from "./config.ts";

const SERVICE = (name: string, labels: Record<string, string>, namespace = "shop") => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace, labels },
  spec: { type: "ExternalName", externalName: `${name}.internal`, ports: [{ port: 8080 }] },
});
const RULE = (
  name: string,
  service: string,
  rules: unknown[],
  apiVersion = "gateway.kyma-project.io/v2",
) => ({
  apiVersion,
  kind: "APIRule",
  metadata: { name, namespace: "shop" },
  spec: {
    hosts: [`${name}.example.com`],
    gateway: "kyma-system/kyma-gateway",
    service: { name: service, port: 8080 },
    rules,
  },
});
const RATE_LIMIT = (name: string, selectorLabels: Record<string, string>) => ({
  apiVersion: "gateway.kyma-project.io/v1alpha1",
  kind: "RateLimit",
  metadata: { name, namespace: "shop" },
  spec: {
    selectorLabels,
    local: { defaultBucket: { maxTokens: 5, tokensPerFill: 5, fillInterval: "1s" } },
  },
});
const NO_AUTH = [{ path: "/*", methods: ["GET"], noAuth: true }];

Deno.test("compileGateway() resolves ExternalName Services into upstreams", () => {
  const compiled = compileGateway([
    SERVICE("orders", {}),
    RULE("orders", "orders", [{ ...NO_AUTH[0], timeout: 7, request: { headers: { "X-A": "b" } } }]),
  ], { providerName: "apigw-authz" });
  assert.deepEqual(compiled.problems, []);
  const route = compiled.config.routes.get("shop/orders#0");
  assert.equal(route?.upstream.origin, "http://orders.internal:8080");
  assert.equal(route?.timeoutMs, 7000);
  assert.deepEqual(route?.setHeaders, [["x-a", "b"]]);
  assert.equal(route?.forwardedHost, "orders.example.com");
});

Deno.test("compileGateway() reports what it cannot serve, with object, field and reason", async (t) => {
  const cases: [string, unknown[], { object: string; field?: string; reason: RegExp }][] = [
    ["a missing Service", [RULE("a", "nowhere", NO_AUTH)], {
      object: "APIRule shop/a",
      field: "spec.service",
      reason: /Service "shop\/nowhere" is not in the config/,
    }],
    ["a Service without the port", [
      {
        ...SERVICE("b", {}),
        spec: { type: "ExternalName", externalName: "b", ports: [{ port: 1 }] },
      },
      RULE("b", "b", NO_AUTH),
    ], { object: "APIRule shop/b", field: "spec.service", reason: /has no port 8080/ }],
    ["a Service that is not ExternalName", [
      { ...SERVICE("c", {}), spec: { selector: { app: "c" } } },
    ], { object: "Service shop/c", field: "spec.type", reason: /ExternalName/ }],
    ["v1beta1 rules not expressible in v2", [
      SERVICE("d", {}),
      {
        apiVersion: "gateway.kyma-project.io/v1beta1",
        kind: "APIRule",
        metadata: { name: "d", namespace: "shop" },
        spec: {
          host: "d.example.com",
          gateway: "kyma-system/kyma-gateway",
          service: { name: "d", port: 8080 },
          rules: [{ path: "/.*", methods: ["GET"], accessStrategies: [{ handler: "allow" }] }],
        },
      },
    ], { object: "APIRule shop/d", field: "spec.rules", reason: /not expressible in v2/ }],
    ["a request header value with CR LF", [
      SERVICE("f", {}),
      RULE("f", "f", [{ ...NO_AUTH[0], request: { headers: { "x-a": "b\r\nx-evil: 1" } } }]),
    ], { object: "APIRule shop/f", field: "spec.rules[0].request", reason: /control character/ }],
    ["an invalid RateLimit", [
      { ...RATE_LIMIT("e", { app: "e" }), spec: { selectorLabels: { app: "e" }, local: {} } },
    ], { object: "RateLimit shop/e", reason: /defaultBucket/ }],
  ];
  for (const [name, objects, expected] of cases) {
    await t.step(name, () => {
      const { problems } = compileGateway(objects, { providerName: "apigw-authz" });
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0]!.object, expected.object);
      assert.equal(problems[0]!.field, expected.field);
      assert.match(problems[0]!.reason, expected.reason);
    });
  }
});

Deno.test("compileGateway() applies RateLimits to the Services they select, or to all for the gateway", () => {
  const compiled = compileGateway([
    SERVICE("orders", { app: "orders" }),
    SERVICE("users", { app: "users" }),
    RULE("orders", "orders", NO_AUTH),
    RULE("users", "users", NO_AUTH),
    RATE_LIMIT("orders-only", { app: "orders" }),
    RATE_LIMIT("edge", { app: "istio-ingressgateway" }),
  ], { providerName: "apigw-authz" });
  assert.deepEqual(compiled.problems, []);
  const names = (id: string) => compiled.config.routes.get(id)?.limits.map((l) => l.name);
  assert.deepEqual(names("shop/orders#0"), ["shop/orders-only", "shop/edge"]);
  assert.deepEqual(names("shop/users#0"), ["shop/edge"]);
});

Deno.test("compileGateway() warns that extAuth rules answer 403 without an authorizer here", () => {
  const compiled = compileGateway([
    SERVICE("orders", {}),
    RULE("orders", "orders", [{ path: "/*", methods: ["GET"], extAuth: { authorizers: ["x"] } }]),
  ], { providerName: "apigw-authz" });
  assert.equal(compiled.warnings[0]?.field, "spec.rules[0].extAuth");
});
