import assert from "node:assert/strict";
import { factsFromObjects, validateObject } from "./mod.ts";
import { apiRuleV2, cluster, defined } from "./_testing.ts";

const HOST_CEL = "Host must be a lowercase RFC 1123 label";
const STRATEGY_CEL = "One of the following fields must be set: noAuth, jwt, extAuth";

function errors(object: unknown, facts = cluster()): string[] {
  return validateObject(object, facts).problems
    .filter((p) => p.severity === "error")
    .map((p) => `${p.path}: ${p.message}`);
}

function rule(extra: Record<string, unknown>): Record<string, unknown> {
  return defined({ path: "/a", methods: ["GET"], noAuth: true, ...extra });
}

const JWT_AUTH = { issuer: "https://a", jwksUri: "https://a/keys" };

type Case = { name: string; spec: Record<string, unknown>; problem?: string };

// One failing and one passing spec per schema check of docs/spec/apirule-v2.md §3. `problem` is the start
// of the expected `path: message` line; absent means the spec is valid.
const SCHEMA_CASES: Case[] = [
  {
    name: "S2 fails without hosts",
    spec: { hosts: undefined },
    problem: "spec.hosts: Required value",
  },
  {
    name: "S2 fails on two hosts",
    spec: { hosts: ["a.example.com", "b.example.com"] },
    problem: "spec.hosts: Too many: 2",
  },
  { name: "S2 fails on no hosts", spec: { hosts: [] }, problem: "spec.hosts: Invalid value: 0" },
  { name: "S2 passes one host", spec: { hosts: ["httpbin.local.kyma.dev"] } },
  {
    name: "S3 fails on an uppercase host",
    spec: { hosts: ["Httpbin.example.com"] },
    problem: `spec.hosts[0]: Invalid value: "string": ${HOST_CEL}`,
  },
  {
    name: "S3 fails on a one-letter top-level label",
    spec: { hosts: ["a.b.c"] },
    problem: `spec.hosts[0]: Invalid value: "string": ${HOST_CEL}`,
  },
  {
    name: "S3 fails on a host over 255 chars",
    spec: { hosts: [`${"a".repeat(63)}.`.repeat(4) + "com"] },
    problem: "spec.hosts[0]: Too long",
  },
  { name: "S3 passes a wildcard host", spec: { hosts: ["*.example.com"] } },
  { name: "S3 passes a short host", spec: { hosts: ["httpbin"] } },
  {
    name: "S4 fails on a gateway without namespace",
    spec: { gateway: "kyma-gateway" },
    problem: 'spec.gateway: Invalid value: "string": Gateway must be in the namespace/name format',
  },
  {
    name: "S4 fails on a gateway over 127 chars",
    spec: { gateway: `${"a".repeat(63)}/${"b".repeat(64)}` },
    problem: "spec.gateway: Too long",
  },
  { name: "S4 passes namespace/name", spec: { gateway: "kyma-system/kyma-gateway" } },
  {
    name: "S5 fails on a malformed externalGateway",
    spec: { gateway: undefined, externalGateway: "Ext" },
    problem:
      'spec.externalGateway: Invalid value: "string": ExternalGateway must be in the namespace/name format',
  },
  {
    name: "S6 fails without rules",
    spec: { rules: undefined },
    problem: "spec.rules: Required value",
  },
  {
    name: "S6 fails on no rules",
    spec: { rules: [] },
    problem: "spec.rules: Invalid value: 0: spec.rules in body should have at least 1 items",
  },
  {
    name: "S7 fails on {***}",
    spec: { rules: [rule({ path: "/a/{***}" })] },
    problem: 'spec.rules[0].path: Invalid value: "/a/{***}"',
  },
  {
    name: "S7 fails on a star outside an operator",
    spec: { rules: [rule({ path: "/a*" })] },
    problem: 'spec.rules[0].path: Invalid value: "/a*"',
  },
  {
    name: "S7 fails on a bad %-escape",
    spec: { rules: [rule({ path: "/a%2" })] },
    problem: 'spec.rules[0].path: Invalid value: "/a%2"',
  },
  {
    name: "S7 fails without a path",
    spec: { rules: [rule({ path: undefined })] },
    problem: "spec.rules[0].path: Required value",
  },
  {
    name: "S7 passes operators, //, a trailing / and escapes",
    spec: { rules: [rule({ path: "/a/{*}//b/%2F/{**}" })] },
  },
  {
    name: "S8 fails on an unknown method",
    spec: { rules: [rule({ methods: ["FETCH"] })] },
    problem: 'spec.rules[0].methods[0]: Unsupported value: "FETCH"',
  },
  {
    name: "S8 fails on no methods",
    spec: { rules: [rule({ methods: [] })] },
    problem: "spec.rules[0].methods: Invalid value: 0",
  },
  {
    name: "S8 passes every method",
    spec: {
      rules: [
        rule({
          methods: ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"],
        }),
      ],
    },
  },
  {
    name: "S9 fails without a strategy",
    spec: { rules: [rule({ noAuth: undefined })] },
    problem: `spec.rules[0]: Invalid value: "object": ${STRATEGY_CEL}`,
  },
  {
    name: "S9 fails on noAuth: false alone",
    spec: { rules: [rule({ noAuth: false })] },
    problem: `spec.rules[0]: Invalid value: "object": ${STRATEGY_CEL}`,
  },
  {
    name: "S9 fails on two strategies",
    spec: { rules: [rule({ jwt: { authentications: [JWT_AUTH] } })] },
    problem: `spec.rules[0]: Invalid value: "object": ${STRATEGY_CEL}`,
  },
  {
    name: "S9 passes jwt with noAuth: false",
    spec: { rules: [rule({ noAuth: false, jwt: { authentications: [JWT_AUTH] } })] },
  },
  {
    name: "S10 fails on a service without port",
    spec: { service: { name: "httpbin" } },
    problem: "spec.service.port: Required value",
  },
  {
    name: "S10 fails on port 0",
    spec: { rules: [rule({ service: { name: "httpbin", port: 0 } })] },
    problem: "spec.rules[0].service.port: Invalid value: 0",
  },
  {
    name: "S10 fails on port 65536",
    spec: { service: { name: "httpbin", port: 65536 } },
    problem: "spec.service.port: Invalid value: 65536",
  },
  {
    name: "S10 fails on a bad namespace",
    spec: { service: { name: "httpbin", port: 80, namespace: "Demo" } },
    problem: 'spec.service.namespace: Invalid value: "Demo"',
  },
  {
    name: "S10 passes a namespaced service",
    spec: { service: { name: "httpbin", port: 8000, namespace: "demo" } },
  },
  {
    name: "S11 fails on timeout 0",
    spec: { timeout: 0 },
    problem: "spec.timeout: Invalid value: 0",
  },
  {
    name: "S11 fails on a rule timeout of 3901",
    spec: { rules: [rule({ timeout: 3901 })] },
    problem: "spec.rules[0].timeout: Invalid value: 3901",
  },
  { name: "S11 passes 3900", spec: { timeout: 3900 } },
  {
    name: "S12 fails on maxAge 0",
    spec: { corsPolicy: { maxAge: 0 } },
    problem: "spec.corsPolicy.maxAge: Invalid value: 0",
  },
  { name: "S12 passes maxAge 1", spec: { corsPolicy: { maxAge: 1 } } },
  {
    name: "S13 fails without authorizers",
    spec: { rules: [rule({ noAuth: undefined, extAuth: {} })] },
    problem: "spec.rules[0].extAuth.authorizers: Required value",
  },
  {
    name: "S13 fails on no authorizers",
    spec: { rules: [rule({ noAuth: undefined, extAuth: { authorizers: [] } })] },
    problem: "spec.rules[0].extAuth.authorizers: Invalid value: 0",
  },
  {
    name: "S13 passes an authorizer",
    spec: { rules: [rule({ noAuth: undefined, extAuth: { authorizers: ["ext-authz"] } })] },
  },
  {
    name: "S14 fails without issuer",
    spec: {
      rules: [rule({ noAuth: undefined, jwt: { authentications: [{ jwksUri: "https://a" }] } })],
    },
    problem: "spec.rules[0].jwt.authentications[0].issuer: Required value",
  },
  {
    name: "S14 fails without jwksUri in restrictions",
    spec: {
      rules: [
        rule({
          noAuth: undefined,
          extAuth: {
            authorizers: ["ext-authz"],
            restrictions: { authentications: [{ issuer: "https://a" }] },
          },
        }),
      ],
    },
    problem: "spec.rules[0].extAuth.restrictions.authentications[0].jwksUri: Required value",
  },
  {
    name: "S15 fails on a header without name",
    spec: {
      rules: [
        rule({
          noAuth: undefined,
          jwt: { authentications: [{ ...JWT_AUTH, fromHeaders: [{ prefix: "Bearer " }] }] },
        }),
      ],
    },
    problem: "spec.rules[0].jwt.authentications[0].fromHeaders[0].name: Required value",
  },
  {
    name: "S14/S15 pass a named header",
    spec: {
      rules: [
        rule({
          noAuth: undefined,
          jwt: { authentications: [{ ...JWT_AUTH, fromHeaders: [{ name: "X-Jwt" }] }] },
        }),
      ],
    },
  },
];

Deno.test("validateObject() runs the APIRule schema and its CEL rules (S1–S15)", async (t) => {
  await t.step("S1 fails on a v2 APIRule without spec", () => {
    const object = {
      apiVersion: "gateway.kyma-project.io/v2",
      kind: "APIRule",
      metadata: { name: "a", namespace: "demo" },
    };
    assert.deepEqual(errors(object), ["spec: Required value"]);
  });
  await t.step("S1 passes a v2alpha1 APIRule without spec (the controller's G1 fires)", () => {
    const object = {
      apiVersion: "gateway.kyma-project.io/v2alpha1",
      kind: "APIRule",
      metadata: { name: "a", namespace: "demo" },
    };
    assert.deepEqual(errors(object), ["spec: Either gateway or externalGateway must be specified"]);
  });
  for (const tc of SCHEMA_CASES) {
    await t.step(tc.name, () => {
      const found = errors(apiRuleV2(tc.spec));
      if (tc.problem === undefined) assert.deepEqual(found, []);
      else {
        const problem = tc.problem;
        assert.ok(
          found.some((line) => line.startsWith(problem)),
          `${problem}\nnot in\n${found.join("\n")}`,
        );
      }
    });
  }
});

Deno.test("validateObject() treats unknown fields as errors, like --validate=strict", () => {
  assert.deepEqual(errors(apiRuleV2({ foo: 1, rules: [rule({ pathh: "/x" })] })), [
    'spec.rules[0].pathh: unknown field "spec.rules[0].pathh"',
    'spec.foo: unknown field "spec.foo"',
  ]);
});

Deno.test("validateObject() reports schema problems first, then the controller's", () => {
  const object = apiRuleV2({ timeout: 0, rules: [rule({ path: "/a/{**}/{**}" })] });
  assert.deepEqual(errors(object), [
    "spec.timeout: Invalid value: 0: spec.timeout in body should be greater than or equal to 1",
    "spec.rules[0].path: Only one {**} operator is allowed in the path.",
  ]);
});

Deno.test("validateObject() names the object and strips upstream's leading dot", () => {
  const result = validateObject(apiRuleV2({ rules: [rule({ path: "/{**}/{**}" })] }), cluster());
  assert.deepEqual(result, {
    kind: "APIRule",
    name: "httpbin",
    namespace: "demo",
    problems: [{
      path: "spec.rules[0].path",
      message: "Only one {**} operator is allowed in the path.",
      severity: "error",
    }],
  });
});

Deno.test("validateObject() returns skipped checks as notes", () => {
  const result = validateObject(apiRuleV2(), factsFromObjects([], { complete: false }));
  assert.deepEqual(result.problems, [
    {
      path: "",
      message: 'Gateway checks skipped: no Gateway "kyma-system/kyma-gateway" in the input',
      severity: "note",
    },
    {
      path: "",
      message: 'Service checks skipped: no Service "demo/httpbin" in the input',
      severity: "note",
    },
    {
      path: "",
      message: "Host occupancy checks skipped: no VirtualServices in the input",
      severity: "note",
    },
  ]);
});

Deno.test("validateObject() checks each kind and version", async (t) => {
  const cases: Array<{ name: string; object: unknown; expected: string[] }> = [
    {
      name: "an unserved APIRule version",
      object: {
        apiVersion: "gateway.kyma-project.io/v1",
        kind: "APIRule",
        metadata: { name: "a" },
      },
      expected: [
        ': Unsupported apiVersion "gateway.kyma-project.io/v1" for kind APIRule: served are gateway.kyma-project.io/v1beta1, gateway.kyma-project.io/v2alpha1, gateway.kyma-project.io/v2',
      ],
    },
    {
      name: "not an object",
      object: "x",
      expected: [`: Not one of apigw's kinds: apiVersion "", kind ""`],
    },
    {
      name: "a nameless object",
      object: { ...apiRuleV2(), metadata: { namespace: "demo" } },
      expected: ["metadata.name: Required value"],
    },
    {
      name: "a v1beta1 APIRule",
      object: {
        apiVersion: "gateway.kyma-project.io/v1beta1",
        kind: "APIRule",
        metadata: { name: "a", namespace: "demo" },
        spec: {
          host: "a.example.com",
          gateway: "kyma-system/kyma-gateway",
          service: { name: "httpbin", port: 80 },
          rules: [{ path: "/.*", methods: ["GET"], accessStrategies: [{ handler: "basic_auth" }] }],
        },
      },
      expected: [
        "spec.rules[0].accessStrategies[0].handler: Unsupported accessStrategy: basic_auth",
      ],
    },
    {
      name: "a RateLimit, with its status prefix",
      object: {
        apiVersion: "gateway.kyma-project.io/v1alpha1",
        kind: "RateLimit",
        metadata: { name: "rl", namespace: "demo" },
        spec: {
          selectorLabels: { app: "httpbin" },
          local: { defaultBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "10ms" } },
        },
      },
      expected: [
        "spec.local.defaultBucket.fillInterval: failed to validate RateLimit: defaultBucket: fillInterval must be greater or equal 50ms",
      ],
    },
    {
      name: "a second APIGateway",
      object: {
        apiVersion: "operator.kyma-project.io/v1alpha1",
        kind: "APIGateway",
        metadata: { name: "zz-second" },
        spec: {},
      },
      expected: [
        ": stopped APIGateway CR reconciliation: only APIGateway CR default reconciles the module",
      ],
    },
  ];
  const facts = cluster({ apiGateways: [{ name: "default" }, { name: "zz-second" }] });
  for (const tc of cases) {
    await t.step(tc.name, () => assert.deepEqual(errors(tc.object, facts), tc.expected));
  }
});

Deno.test("validateObject() gives cluster-scoped objects no namespace", () => {
  const result = validateObject(
    {
      apiVersion: "operator.kyma-project.io/v1alpha1",
      kind: "APIGateway",
      metadata: { name: "default" },
    },
    cluster({ apiGateways: [{ name: "default" }] }),
  );
  assert.deepEqual(result, { kind: "APIGateway", name: "default", namespace: "", problems: [] });
});
