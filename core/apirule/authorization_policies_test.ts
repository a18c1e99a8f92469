import assert from "node:assert/strict";
import type { Rule } from "../../api/apirule/v2.ts";
import type { APIRuleContext } from "./context.ts";
import { authorizationPoliciesFor } from "./authorization_policies.ts";

const SERVICE = { name: "httpbin", namespace: "demo", port: 8000, selector: { app: "httpbin" } };

function context(rules: Rule[]): APIRuleContext {
  return {
    name: "httpbin",
    namespace: "demo",
    hosts: ["httpbin.example.com"],
    gateway: "kyma-system/kyma-gateway",
    rules: rules.map((rule) => ({ rule, service: SERVICE })),
  };
}

const JWT = { authentications: [{ issuer: "https://issuer", jwksUri: "https://issuer/jwks" }] };

function notPathsOf(rules: Rule[]): Array<string[] | undefined> {
  return authorizationPoliciesFor(context(rules)).map((p) =>
    p.spec.rules[0]!.to[0]!.operation.notPaths
  );
}

Deno.test("authorizationPoliciesFor() excludes earlier specific paths that share a method", () => {
  assert.deepEqual(
    notPathsOf([
      { path: "/anything/{*}/one", methods: ["POST"], jwt: JWT },
      { path: "/anything/{**}", methods: ["GET", "POST"], noAuth: true },
    ]),
    [undefined, ["/anything/{*}/one"]],
  );
});

Deno.test("authorizationPoliciesFor() closes D1(a): a duplicate path does not end the notPaths scan", () => {
  // Routing sends POST /x/y to the jwt rule; the noAuth policy of rule 3 must not allow it.
  assert.deepEqual(
    notPathsOf([
      { path: "/x/{*}", methods: ["GET"], noAuth: true },
      { path: "/x/y", methods: ["POST"], jwt: JWT },
      { path: "/x/{*}", methods: ["POST"], noAuth: true },
    ]),
    [undefined, undefined, ["/x/y"]],
  );
});

Deno.test("authorizationPoliciesFor() closes D1(b): an earlier `/` rule is excluded from a catch-all", () => {
  assert.deepEqual(
    notPathsOf([
      { path: "/", methods: ["GET"], jwt: JWT },
      { path: "/*", methods: ["GET"], noAuth: true },
    ]),
    [undefined, ["/"]],
  );
});

Deno.test("authorizationPoliciesFor() numbers CUSTOM then ALLOW policies of an extAuth rule", () => {
  const policies = authorizationPoliciesFor(context([{
    path: "/login",
    methods: ["GET"],
    extAuth: {
      authorizers: ["a", "b"],
      restrictions: { ...JWT, authorizations: [{ audiences: ["x"] }, { audiences: ["y"] }] },
    },
  }]));
  assert.deepEqual(
    policies.map((
      p,
    ) => [p.spec.action ?? "ALLOW", p.metadata.labels?.["gateway.kyma-project.io/index"]]),
    [["CUSTOM", "0"], ["CUSTOM", "1"], ["ALLOW", "2"], ["ALLOW", "3"]],
  );
});

Deno.test("authorizationPoliciesFor() gives equal hashes to policies that differ only in who may call", () => {
  const [a] = authorizationPoliciesFor(context([{ path: "/a", methods: ["GET"], noAuth: true }]));
  const [b] = authorizationPoliciesFor(context([{ path: "/a", methods: ["GET"], jwt: JWT }]));
  const [c] = authorizationPoliciesFor(context([{ path: "/b", methods: ["GET"], jwt: JWT }]));
  const hash = (p: typeof a) => p!.metadata.labels?.["gateway.kyma-project.io/hash"];
  assert.equal(hash(a), hash(b));
  assert.notEqual(hash(a), hash(c));
});
