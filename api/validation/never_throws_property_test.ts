/**
 * `validateObject()` is total: thousands of random objects — arbitrary values, and valid
 * APIRules, RateLimits and APIGateways with one field replaced by junk — and random cluster
 * facts never make it throw.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { validateObject } from "./mod.ts";
import type { ValidationFacts } from "./facts.ts";

const VALID: Record<string, unknown>[] = [
  {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: { name: "a", namespace: "n" },
    spec: {
      hosts: ["a.example.com"],
      gateway: "kyma-system/kyma-gateway",
      service: { name: "s", port: 80 },
      rules: [
        {
          path: "/a/{**}",
          methods: ["GET"],
          jwt: {
            authentications: [{ issuer: "https://i", jwksUri: "https://i/k" }],
            authorizations: [{ requiredScopes: ["x"] }],
          },
        },
        { path: "/b", methods: ["POST"], extAuth: { authorizers: ["e"] } },
        { path: "/*", methods: ["GET"], noAuth: true },
      ],
    },
  },
  {
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name: "a", namespace: "n" },
    spec: {
      host: "a.example.com",
      gateway: "kyma-system/kyma-gateway",
      service: { name: "s", port: 80 },
      rules: [{
        path: "/.*",
        methods: ["GET"],
        accessStrategies: [{ handler: "jwt", config: { trusted_issuers: ["https://i"] } }],
        mutators: [{ handler: "header", config: { headers: { a: "b" } } }],
      }],
    },
  },
  {
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name: "a", namespace: "n" },
    spec: {
      selectorLabels: { app: "a" },
      local: {
        defaultBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1s" },
        buckets: [{ path: "/a", bucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "2s" } }],
      },
    },
  },
  {
    apiVersion: "operator.kyma-project.io/v1alpha1",
    kind: "APIGateway",
    metadata: { name: "default" },
    spec: { enableKymaGateway: true },
  },
];

/** Replaces the value at a random path of `object` with `junk`. */
function corrupt(object: unknown, path: number[], junk: unknown): unknown {
  if (path.length === 0 || typeof object !== "object" || object === null) return junk;
  const entries = Array.isArray(object) ? [...object.entries()] : Object.entries(object);
  if (entries.length === 0) return junk;
  const [key] = entries[path[0]! % entries.length]!;
  if (Array.isArray(object)) {
    const copy: unknown[] = [...object];
    copy[Number(key)] = corrupt(copy[Number(key)], path.slice(1), junk);
    return copy;
  }
  const copy: Record<string, unknown> = { ...object };
  copy[String(key)] = corrupt(copy[String(key)], path.slice(1), junk);
  return copy;
}

const facts: fc.Arbitrary<ValidationFacts> = fc.record({
  complete: fc.boolean(),
  jwtHandler: fc.constantFrom("ory", "istio", "other"),
  services: fc.array(
    fc.record({
      namespace: fc.constantFrom("n", "m"),
      name: fc.constantFrom("s", "t"),
      selector: fc.dictionary(fc.string(), fc.string()),
    }),
    { maxLength: 3 },
  ),
  pods: fc.array(
    fc.record({
      namespace: fc.constant("n"),
      name: fc.string(),
      labels: fc.dictionary(fc.string(), fc.string()),
      annotations: fc.dictionary(fc.string(), fc.string()),
      containers: fc.array(fc.string()),
      initContainers: fc.array(fc.string()),
    }),
    { maxLength: 3 },
  ),
  gateways: fc.array(
    fc.record({
      namespace: fc.constant("kyma-system"),
      name: fc.constant("kyma-gateway"),
      servers: fc.array(fc.record({ hosts: fc.array(fc.string()) })),
    }),
    { maxLength: 2 },
  ),
  virtualServices: fc.array(
    fc.record({
      namespace: fc.string(),
      name: fc.string(),
      hosts: fc.array(fc.string()),
      labels: fc.dictionary(fc.string(), fc.string()),
    }),
    { maxLength: 2 },
  ),
  istioMeshConfigMap: fc.option(
    fc.record({ data: fc.dictionary(fc.constantFrom("mesh", "x"), fc.string()) }),
    { nil: null },
  ),
}, { requiredKeys: [] });

Deno.test("validateObject() never throws on arbitrary values", () => {
  fc.assert(fc.property(fc.anything(), facts, (value, f) => void validateObject(value, f)), {
    numRuns: 3000,
  });
});

Deno.test("validateObject() never throws on valid objects with one field replaced by junk", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...VALID),
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.anything(),
      facts,
      (object, path, junk, f) => {
        const result = validateObject(corrupt(object, path, junk), f);
        assert.ok(Array.isArray(result.problems));
      },
    ),
    { numRuns: 5000 },
  );
});
