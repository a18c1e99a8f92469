import assert from "node:assert/strict";
import { factsFromObjects } from "./facts_from_objects.ts";

const OBJECTS: unknown[] = [
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "httpbin", namespace: "demo" },
    spec: { selector: { app: "httpbin" } },
  },
  { apiVersion: "v1", kind: "Service", metadata: { name: "bare" }, spec: {} },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "demo", labels: { app: "httpbin" }, annotations: { a: "b" } },
    spec: { containers: [{ name: "app" }], initContainers: [{ name: "istio-proxy" }] },
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: "kyma-gateway", namespace: "kyma-system" },
    spec: {
      servers: [{ hosts: ["*.local.kyma.dev"], port: { number: 443, protocol: "HTTPS" } }, {
        hosts: "bad",
      }],
    },
  },
  {
    apiVersion: "networking.istio.io/v1beta1",
    kind: "VirtualService",
    metadata: { name: "vs", namespace: "other", labels: { x: "y" } },
    spec: { hosts: ["a.example.com", 5] },
  },
  {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "istio", namespace: "istio-system" },
    data: { mesh: "m" },
  },
  {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "api-gateway-config", namespace: "kyma-system" },
    data: { "api-gateway-config": "jwtHandler: istio\n" },
  },
  {
    apiVersion: "operator.kyma-project.io/v1alpha1",
    kind: "APIGateway",
    metadata: { name: "default", creationTimestamp: "2024-01-01T00:00:00Z" },
  },
  {
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name: "rl", namespace: "demo" },
    spec: { selectorLabels: { app: "httpbin" } },
  },
  {
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "ExternalGateway",
    metadata: { name: "eg", namespace: "demo" },
  },
  { apiVersion: "example.com/v1", kind: "Service", metadata: { name: "not-core" } },
  "not an object",
];

Deno.test("factsFromObjects() reads the facts of each kind", () => {
  assert.deepEqual(factsFromObjects(OBJECTS, { complete: false }), {
    complete: false,
    services: [
      { namespace: "demo", name: "httpbin", selector: { app: "httpbin" } },
      { namespace: "default", name: "bare", selector: {} },
    ],
    pods: [{
      namespace: "demo",
      name: "p",
      labels: { app: "httpbin" },
      annotations: { a: "b" },
      containers: ["app"],
      initContainers: ["istio-proxy"],
    }],
    gateways: [{
      namespace: "kyma-system",
      name: "kyma-gateway",
      servers: [{ hosts: ["*.local.kyma.dev"], protocol: "HTTPS" }, { hosts: [] }],
    }],
    externalGateways: [{ namespace: "demo", name: "eg" }],
    virtualServices: [{
      namespace: "other",
      name: "vs",
      hosts: ["a.example.com"],
      labels: { x: "y" },
    }],
    apiGateways: [{ name: "default", creationTimestamp: "2024-01-01T00:00:00Z" }],
    rateLimits: [{ namespace: "demo", name: "rl", selectorLabels: { app: "httpbin" } }],
    istioMeshConfigMap: { data: { mesh: "m" } },
    jwtHandler: "istio",
  });
});

Deno.test("factsFromObjects() leaves kinds the input lacks unknown, unless complete", () => {
  assert.deepEqual(factsFromObjects([], { complete: false }), { complete: false });
  assert.deepEqual(factsFromObjects([], { complete: true }), {
    complete: true,
    services: [],
    pods: [],
    gateways: [],
    externalGateways: [],
    virtualServices: [],
    apiGateways: [],
    rateLimits: [],
    istioMeshConfigMap: null,
    jwtHandler: "ory",
  });
});

Deno.test("factsFromObjects() reads an unreadable module config as an empty handler", () => {
  const config = (data: unknown) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "api-gateway-config", namespace: "kyma-system" },
    data,
  });
  assert.equal(factsFromObjects([config({})], { complete: false }).jwtHandler, "");
  assert.equal(
    factsFromObjects([config({ "api-gateway-config": "[" })], { complete: false }).jwtHandler,
    "",
  );
});
