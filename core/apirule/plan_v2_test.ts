import assert from "node:assert/strict";
import type { KubeObject } from "../../api/meta.ts";
import { OFFLINE_CRDS } from "../installed_crds.ts";
import { snapshotOf } from "../snapshot.ts";
import { ownerLabels } from "./labels.ts";
import { planAPIRuleV2 } from "./plan_v2.ts";

const NOW = new Date("2026-01-01T00:00:00Z");

function apiRule(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: { name: "shop", namespace: "demo" },
    spec: {
      hosts: ["shop.example.com"],
      gateway: "kyma-system/kyma-gateway",
      service: { name: "shop", port: 80 },
      rules: [{ path: "/a", methods: ["GET"], noAuth: true }],
      ...spec,
    },
  };
}

const GATEWAY: KubeObject = {
  apiVersion: "networking.istio.io/v1",
  kind: "Gateway",
  metadata: { name: "kyma-gateway", namespace: "kyma-system" },
  spec: { servers: [{ hosts: ["*.example.com"], port: { protocol: "HTTPS" } }] },
};

function service(selector: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "shop", namespace: "demo" },
    spec: { selector },
  };
}

function plan(
  cr: KubeObject,
  extra: KubeObject[] = [],
  selector: Record<string, string> = { app: "shop" },
) {
  return planAPIRuleV2(cr, snapshotOf([cr, GATEWAY, service(selector), ...extra], OFFLINE_CRDS), {
    now: NOW,
  });
}

Deno.test("planAPIRuleV2() reports both gateway and externalGateway precisely (fixes D8)", () => {
  const result = plan(apiRule({ externalGateway: "ns/ext" }));
  assert.equal(result.state, "Error");
  assert.match(result.description, /Only one of gateway or externalGateway can be specified/);
});

Deno.test("planAPIRuleV2() refuses externalGateway as not supported (decision 5)", () => {
  const { gateway: _, ...spec } = apiRule({}).spec as Record<string, unknown>;
  const cr = { ...apiRule({}), spec: { ...spec, externalGateway: "ns/ext" } };
  assert.equal(
    plan(cr).description,
    "Validation errors: Attribute 'spec.externalGateway': ExternalGateway is not supported",
  );
});

Deno.test("planAPIRuleV2() deletes extra owned VirtualServices and updates the first (fixes D5)", () => {
  const owned = (name: string): KubeObject => ({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: {
      name,
      namespace: "demo",
      labels: ownerLabels("shop", "demo"),
      annotations: { keep: "me" },
    },
    spec: {},
  });
  const result = plan(apiRule({}), [owned("shop-aaaaa"), owned("shop-bbbbb")]);
  const vs = result.apply.filter((o) => o.kind === "VirtualService");
  assert.deepEqual(
    vs.map((o) => [o.metadata.name, o.metadata.generateName, o.metadata.annotations]),
    [
      ["shop-aaaaa", undefined, { keep: "me" }],
    ],
  );
  assert.deepEqual(result.delete.map((o) => o.metadata.name), ["shop-bbbbb"]);
});

Deno.test("planAPIRuleV2() never touches look-alike objects without its owner labels", () => {
  const foreign: KubeObject = {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: "other", namespace: "demo", labels: { ...ownerLabels("shop", "other-ns") } },
    spec: {},
  };
  const result = plan(apiRule({}), [foreign]);
  assert.equal(result.delete.some((o) => o.metadata.name === "other"), false);
});

Deno.test("planAPIRuleV2() matches RequestAuthentications by a key with sorted labels (fixes D4)", () => {
  const jwt = { authentications: [{ issuer: "https://i", jwksUri: "https://i/jwks" }] };
  const cr = apiRule({ rules: [{ path: "/a", methods: ["GET"], jwt }] });
  const existing: KubeObject = {
    apiVersion: "security.istio.io/v1",
    kind: "RequestAuthentication",
    metadata: { name: "shop-ra", namespace: "demo", labels: ownerLabels("shop", "demo") },
    // The same selector written in another key order must still be the same object.
    spec: {
      selector: { matchLabels: { tier: "api", app: "shop" } },
      jwtRules: jwt.authentications,
    },
  };
  const result = plan(cr, [existing], { app: "shop", tier: "api" });
  const ra = result.apply.filter((o) => o.kind === "RequestAuthentication");
  assert.deepEqual(ra.map((o) => o.metadata.name), ["shop-ra"]);
  assert.deepEqual(result.delete, []);
});

Deno.test("planAPIRuleV2() joins cookies sorted by name and sorts allowOrigins keys (fixes D9)", () => {
  const cr = apiRule({
    corsPolicy: { allowOrigins: [{ regex: "r", exact: "e" }] },
    rules: [{
      path: "/a",
      methods: ["GET"],
      noAuth: true,
      request: { cookies: { z: "1", a: "2" } },
    }],
  });
  const vs = plan(cr).apply.find((o) => o.kind === "VirtualService") as unknown as {
    spec: {
      http: Array<{ headers: { request: { set: Record<string, string> } }; corsPolicy: unknown }>;
    };
  };
  assert.equal(vs.spec.http[0]!.headers.request.set.Cookie, "a=2; z=1");
  assert.deepEqual(vs.spec.http[0]!.corsPolicy, { allowOrigins: [{ exact: "e" }, { regex: "r" }] });
});

Deno.test("planAPIRuleV2() keeps methods that routing sends to a rule although an earlier path is excluded", () => {
  const jwt = { authentications: [{ issuer: "https://i", jwksUri: "https://i/jwks" }] };
  const cr = apiRule({
    rules: [
      { path: "/a", methods: ["GET"], jwt },
      { path: "/{*}", methods: ["GET", "PUT"], noAuth: true },
    ],
  });
  const policies = plan(cr).apply.filter((o) =>
    o.kind === "AuthorizationPolicy"
  ) as unknown as Array<{
    spec: { rules: Array<{ to: Array<{ operation: Record<string, unknown> }> }> };
  }>;
  assert.deepEqual(policies[1]!.spec.rules[0]!.to.map((t) => t.operation), [
    { hosts: ["shop.example.com"], paths: ["/{*}"], methods: ["GET", "PUT"], notPaths: ["/a"] },
    { hosts: ["shop.example.com"], paths: ["/{*}"], methods: ["PUT"] },
  ]);
});

Deno.test("planAPIRuleV2() adds the finalizer and writes the Ready status", () => {
  const result = plan(apiRule({}));
  assert.equal(result.state, "Ready");
  assert.deepEqual(result.cr?.metadata.finalizers, ["gateway.kyma-project.io/subresources"]);
  assert.deepEqual(result.cr?.status, {
    lastProcessedTime: "2026-01-01T00:00:00Z",
    state: "Ready",
    description: "Reconciled successfully",
  });
});

Deno.test("planAPIRuleV2() deletes every owned object, in every namespace, before the finalizer goes", () => {
  const owned: KubeObject = {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: "p", namespace: "elsewhere", labels: ownerLabels("shop", "demo") },
    spec: {},
  };
  const cr = apiRule({});
  cr.metadata = {
    ...cr.metadata,
    deletionTimestamp: "2026-01-01T00:00:00Z",
    finalizers: ["gateway.kyma-project.io/subresources"],
  };
  const result = plan(cr, [owned]);
  assert.deepEqual(result.delete.map((o) => `${o.metadata.namespace}/${o.metadata.name}`), [
    "elsewhere/p",
  ]);
  assert.equal(result.cr, undefined);
});
