import assert from "node:assert/strict";
import type { JwtAuthentication } from "../apirule/v2.ts";
import { jwtConfigFailures, type JwtConfigInput, jwtConsistencyFailures } from "./jwt.ts";

const P = ".spec.rules[0].jwt";
const AUTH: JwtAuthentication = {
  issuer: "https://auth.example.com",
  jwksUri: "https://auth.example.com/.well-known/jwks.json",
};

type Case = { name: string; config: JwtConfigInput; failures: Array<[string, string]> };

// One failing and one passing config per check of docs/spec/apirule-v2.md §13.3.
const CASES: Case[] = [
  {
    name: "J1 fails on an empty authorizations list",
    config: { authentications: [AUTH], authorizations: [] },
    failures: [[`${P}.authorizations`, "authorizations defined, but no configuration exists"]],
  },
  { name: "J1 passes without authorizations", config: { authentications: [AUTH] }, failures: [] },
  {
    name: "J2 fails on a null authorization",
    config: { authentications: [AUTH], authorizations: [null] },
    failures: [[`${P}.authorizations[0]`, "authorization is empty"]],
  },
  {
    name: "J2 passes an empty authorization",
    config: { authentications: [AUTH], authorizations: [{}] },
    failures: [],
  },
  {
    name: "J3 fails on empty requiredScopes",
    config: { authentications: [AUTH], authorizations: [{ requiredScopes: [] }] },
    failures: [[`${P}.authorizations[0].requiredScopes`, "value is empty"]],
  },
  {
    name: "J4 fails on an empty scope",
    config: { authentications: [AUTH], authorizations: [{ requiredScopes: ["read", ""] }] },
    failures: [[`${P}.authorizations[0].requiredScopes`, "scope value is empty"]],
  },
  {
    name: "J3/J4 pass scopes",
    config: { authentications: [AUTH], authorizations: [{ requiredScopes: ["read"] }] },
    failures: [],
  },
  {
    name: "J5 fails on empty audiences",
    config: { authentications: [AUTH], authorizations: [{ audiences: [] }] },
    failures: [[`${P}.authorizations[0].audiences`, "value is empty"]],
  },
  {
    name: "J6 fails on an empty audience",
    config: {
      authentications: [AUTH],
      authorizations: [{ requiredScopes: ["a"], audiences: [""] }],
    },
    failures: [[`${P}.authorizations[0].audiences`, "audience value is empty"]],
  },
  {
    name: "J5/J6 pass audiences",
    config: { authentications: [AUTH], authorizations: [{ audiences: ["app"] }] },
    failures: [],
  },
  {
    name: "J7 fails without authentications and stops their checks",
    config: { authorizations: [{ audiences: ["app"] }] },
    failures: [[`${P}.authentications`, "A JWT config must have at least one authentication"]],
  },
  {
    name: "J7 fails on an empty authentications list",
    config: { authentications: [] },
    failures: [[`${P}.authentications`, "A JWT config must have at least one authentication"]],
  },
  {
    name: "J8 fails on an empty issuer",
    config: { authentications: [{ ...AUTH, issuer: "" }] },
    failures: [[
      `${P}.authentications[0].issuer`,
      "value is empty or not a valid uri err=value is empty",
    ]],
  },
  {
    name: "J8 fails on an issuer with a colon that is not a URI",
    config: { authentications: [{ ...AUTH, issuer: "://example" }] },
    failures: [[
      `${P}.authentications[0].issuer`,
      'value is empty or not a valid uri err=parse "://example": missing protocol scheme',
    ]],
  },
  {
    name: "J8 passes an issuer without a colon",
    config: { authentications: [{ ...AUTH, issuer: "testing@secure.istio.io" }] },
    failures: [],
  },
  {
    name: "J8 passes an http issuer",
    config: { authentications: [{ ...AUTH, issuer: "http://auth.example.com" }] },
    failures: [],
  },
  {
    name: "J9 fails on a jwksUri that is not a URI",
    config: { authentications: [{ ...AUTH, jwksUri: "no_url" }] },
    failures: [[
      `${P}.authentications[0].jwksUri`,
      'value is empty or not a valid uri err=parse "no_url": invalid URI for request',
    ]],
  },
  {
    name: "J9 fails on an empty jwksUri",
    config: { authentications: [{ ...AUTH, jwksUri: "" }] },
    failures: [[
      `${P}.authentications[0].jwksUri`,
      "value is empty or not a valid uri err=value is empty",
    ]],
  },
  {
    name: "J9 passes a file URI",
    config: { authentications: [{ ...AUTH, jwksUri: "file:///keys.json" }] },
    failures: [],
  },
  {
    name: "J9a fails on fromHeaders after fromParams",
    config: {
      authentications: [{ ...AUTH, fromParams: ["jwt"] }, {
        ...AUTH,
        issuer: "https://b",
        fromHeaders: [{ name: "X-Jwt" }],
      }],
    },
    failures: [[
      `${P}.authentications[1].fromHeaders`,
      "mixture of multiple fromHeaders and fromParams is not supported",
    ]],
  },
  {
    name: "J9b fails on fromParams next to fromHeaders",
    config: {
      authentications: [{ ...AUTH, fromHeaders: [{ name: "X-Jwt" }], fromParams: ["jwt"] }],
    },
    failures: [[
      `${P}.authentications[0].fromParams`,
      "mixture of multiple fromHeaders and fromParams is not supported",
    ]],
  },
  {
    name: "J9a/J9b pass fromHeaders on every authentication",
    config: {
      authentications: [{ ...AUTH, fromHeaders: [{ name: "X-Jwt" }] }, {
        ...AUTH,
        issuer: "https://b",
        fromHeaders: [{ name: "X-Other", prefix: "Bearer " }],
      }],
    },
    failures: [],
  },
  {
    name: "J9c fails on two fromHeaders",
    config: { authentications: [{ ...AUTH, fromHeaders: [{ name: "A" }, { name: "B" }] }] },
    failures: [[`${P}.authentications[0].fromHeaders`, "multiple fromHeaders are not supported"]],
  },
  {
    name: "J9d fails on two fromParams",
    config: { authentications: [{ ...AUTH, fromParams: ["a", "b"] }] },
    failures: [[`${P}.authentications[0].fromParams`, "multiple fromParams are not supported"]],
  },
  {
    name: "J9c/J9d pass one of each on separate configs",
    config: { authentications: [{ ...AUTH, fromParams: ["a"] }] },
    failures: [],
  },
  {
    name: "every failure is returned, authorizations first",
    config: {
      authentications: [{ issuer: "", jwksUri: "" }],
      authorizations: [{ requiredScopes: [""], audiences: [] }],
    },
    failures: [
      [`${P}.authorizations[0].requiredScopes`, "scope value is empty"],
      [`${P}.authorizations[0].audiences`, "value is empty"],
      [`${P}.authentications[0].issuer`, "value is empty or not a valid uri err=value is empty"],
      [`${P}.authentications[0].jwksUri`, "value is empty or not a valid uri err=value is empty"],
    ],
  },
];

Deno.test("jwtConfigFailures() checks one JWT config (J1–J9d)", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      assert.deepEqual(
        jwtConfigFailures(P, tc.config),
        tc.failures.map(([attributePath, message]) => ({ attributePath, message })),
      );
    });
  }
});

Deno.test("jwtConfigFailures() reports restrictions under extAuth (Q6)", () => {
  assert.deepEqual(jwtConfigFailures(".spec.rules[2].extAuth", {}), [{
    attributePath: ".spec.rules[2].extAuth.authentications",
    message: "A JWT config must have at least one authentication",
  }]);
});

Deno.test("jwtConsistencyFailures() compares equal issuers across rules (J10)", async (t) => {
  const header = (name: string, prefix?: string) => ({
    ...AUTH,
    fromHeaders: [{ name, ...(prefix === undefined ? {} : { prefix }) }],
  });
  const cases: Array<{ name: string; rules: JwtAuthentication[][]; failing: string[] }> = [
    {
      name: "J10 fails when a later rule extracts the token differently",
      rules: [[header("X-Jwt")], [header("X-Other")]],
      failing: [".spec.rules[1].jwt.authentications[0]"],
    },
    {
      name: "J10 fails on a different prefix",
      rules: [[header("X-Jwt", "Bearer ")], [{ ...AUTH, issuer: "https://b" }, header("X-Jwt")]],
      failing: [".spec.rules[1].jwt.authentications[1]"],
    },
    {
      name: "J10 passes equal extraction",
      rules: [[header("X-Jwt")], [header("X-Jwt")]],
      failing: [],
    },
    {
      name: "J10 passes different issuers",
      rules: [[header("X-Jwt")], [{ ...header("X-Other"), issuer: "https://other" }]],
      failing: [],
    },
    {
      name: "J10 keys by issuer and JWKS URI, not their concatenation",
      rules: [[{ issuer: "https://a", jwksUri: "bc" }], [{
        issuer: "https://ab",
        jwksUri: "c",
        fromParams: ["t"],
      }]],
      failing: [],
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const rules = tc.rules.map((authentications, index) => ({ index, authentications }));
      assert.deepEqual(
        jwtConsistencyFailures(rules),
        tc.failing.map((attributePath) => ({
          attributePath,
          message: "multiple jwt configurations that differ for the same issuer",
        })),
      );
    });
  }
});
