import assert from "node:assert/strict";
import { describeV2Failures, validateAPIRuleV2 } from "./apirule_v2.ts";
import type { Failure } from "./failure.ts";
import { apiRuleV2, cluster, virtualService } from "./_testing.ts";

function failures(apirule: unknown, facts = cluster()): Array<[string, string]> {
  return validateAPIRuleV2(apirule, facts).failures.map((f) => [f.attributePath, f.message]);
}

Deno.test("validateAPIRuleV2() passes a valid APIRule", () => {
  assert.deepEqual(validateAPIRuleV2(apiRuleV2(), cluster()), { failures: [], notes: [] });
});

Deno.test("validateAPIRuleV2() stops at a gateway discovery failure", () => {
  const apirule = apiRuleV2({
    gateway: undefined,
    rules: [{ path: "/{**}/{**}", methods: ["GET"], noAuth: true }],
  });
  assert.deepEqual(failures(apirule), [[
    "spec",
    "Either gateway or externalGateway must be specified",
  ]]);
});

Deno.test("validateAPIRuleV2() rejects an unsupported JWT handler after discovery", () => {
  assert.deepEqual(failures(apiRuleV2(), cluster({ jwtHandler: "oathkeeper" })), [
    ["", "Unsupported JWT Handler: oathkeeper"],
  ]);
});

Deno.test("validateAPIRuleV2() reports rules before hosts, every failure", () => {
  const apirule = apiRuleV2({
    service: undefined,
    rules: [
      {
        path: "/a/{**}/{**}",
        methods: ["GET"],
        noAuth: true,
        service: { name: "httpbin", port: 80 },
      },
      { path: "/b", methods: ["GET"], noAuth: true },
    ],
  });
  const facts = cluster({
    virtualServices: [virtualService("x", "y", ["httpbin.local.kyma.dev"])],
  });
  assert.deepEqual(failures(apirule, facts), [
    [".spec.rules[0].path", "Only one {**} operator is allowed in the path."],
    [
      ".spec.rules[1].service",
      "The rule must define a service, because no service is defined on spec level",
    ],
    [
      ".spec.rules[1]",
      "Failed to execute sidecar injection validation, err: service name is required but missing",
    ],
    [".spec.hosts[0]", "Host is occupied by another Virtual Service (x/y)"],
  ]);
});

Deno.test("validateAPIRuleV2() reports a CORS allowOrigins regex RE2 refuses (issue 14)", () => {
  const corsPolicy = {
    allowOrigins: [{ regex: "https://(a+)+\\.example\\.com" }, { regex: "https://(x)\\1" }],
  };
  assert.deepEqual(failures(apiRuleV2({ corsPolicy })), [[
    ".spec.corsPolicy.allowOrigins[1].regex",
    '"https://(x)\\\\1" is not a valid RE2 regular expression: invalid escape sequence: `\\1`',
  ]]);
});

Deno.test("validateAPIRuleV2() skips the parts that fail the schema", async (t) => {
  const cases: Array<
    { name: string; spec: Record<string, unknown>; expected: Array<[string, string]> }
  > = [
    {
      name: "a rule with a bad path",
      spec: { rules: [{ path: "/{***}", methods: ["GET"], noAuth: true }] },
      expected: [],
    },
    { name: "an empty rule list (no R0)", spec: { rules: [] }, expected: [] },
    { name: "missing hosts (no H0)", spec: { hosts: undefined }, expected: [] },
    { name: "an uppercase host (no H3)", spec: { hosts: ["HTTPBIN.example.com"] }, expected: [] },
    { name: "a malformed gateway reference", spec: { gateway: "kyma-gateway" }, expected: [] },
    {
      name: "a malformed spec service",
      spec: { service: { name: "httpbin" } },
      expected: [],
    },
    {
      name: "only the broken rule",
      spec: {
        rules: [
          { path: "/a", methods: ["GET"] },
          { path: "/{**}/{*}", methods: ["GET"], noAuth: true },
        ],
      },
      expected: [[
        ".spec.rules[1].path",
        "The {**} operator must be the last operator in the path.",
      ]],
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => assert.deepEqual(failures(apiRuleV2(tc.spec)), tc.expected));
  }
});

Deno.test("validateAPIRuleV2() never throws on malformed input", async (t) => {
  const inputs: unknown[] = [
    undefined,
    null,
    "APIRule",
    [],
    { spec: "x" },
    { spec: { gateway: 5, rules: "x", hosts: [1] } },
    { spec: { gateway: "a/b", rules: [null, 1, { path: 1 }], service: [] } },
    {
      metadata: "x",
      spec: {
        gateway: "a/b",
        rules: [{ path: "/", methods: ["GET"], jwt: { authentications: [null] } }],
      },
    },
  ];
  for (const [i, input] of inputs.entries()) {
    await t.step(`input ${i}`, () => {
      validateAPIRuleV2(input, cluster());
      validateAPIRuleV2(input, {});
    });
  }
});

Deno.test("describeV2Failures() shows three failures and counts the rest (§14)", async (t) => {
  const f = (n: number): Failure => ({
    attributePath: `.spec.rules[${n}].service`,
    message: `m${n}`,
  });
  const cases: Array<[string, Failure[], string]> = [
    ["none", [], ""],
    [
      "one",
      [{
        attributePath: ".spec.rules[0].injection",
        message: "Target service label selectors are not defined",
      }],
      "Validation errors: Attribute '.spec.rules[0].injection': Target service label selectors are not defined",
    ],
    [
      "three",
      [f(0), f(1), f(2)],
      "Validation errors: Attribute '.spec.rules[0].service': m0\nAttribute '.spec.rules[1].service': m1\nAttribute '.spec.rules[2].service': m2",
    ],
    [
      "four",
      [f(0), f(1), f(2), f(3)],
      "Validation errors: Attribute '.spec.rules[0].service': m0\nAttribute '.spec.rules[1].service': m1\nAttribute '.spec.rules[2].service': m2\n1 more error(s)...",
    ],
    [
      "six",
      [f(0), f(1), f(2), f(3), f(4), f(5)],
      "Validation errors: Attribute '.spec.rules[0].service': m0\nAttribute '.spec.rules[1].service': m1\nAttribute '.spec.rules[2].service': m2\n3 more error(s)...",
    ],
    [
      "discovery",
      [{ attributePath: "spec.gateway", message: "Could not get specified Gateway" }],
      "Validation errors: Attribute 'spec.gateway': Could not get specified Gateway",
    ],
  ];
  for (const [name, input, expected] of cases) {
    await t.step(name, () => assert.equal(describeV2Failures(input), expected));
  }
});

Deno.test("describeV2Failures() gives §14's four-line example for a rule list without services", () => {
  const apirule = apiRuleV2({
    service: undefined,
    rules: [
      { path: "/a", methods: ["GET"], noAuth: true },
      { path: "/b", methods: ["GET"], noAuth: true },
    ],
  });
  assert.equal(
    describeV2Failures(validateAPIRuleV2(apirule, cluster()).failures),
    [
      "Validation errors: Attribute '.spec.rules[0].service': The rule must define a service, because no service is defined on spec level",
      "Attribute '.spec.rules[0]': Failed to execute sidecar injection validation, err: service name is required but missing",
      "Attribute '.spec.rules[1].service': The rule must define a service, because no service is defined on spec level",
      "1 more error(s)...",
    ].join("\n"),
  );
});
