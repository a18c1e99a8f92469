import assert from "node:assert/strict";
import { checkAuthorizations, claimTypesValid } from "./claims.ts";

Deno.test("checkAuthorizations() applies Kyma's requiredScopes and audiences (§3.6)", async (t) => {
  const cases = [
    { name: "no authorizations: any token", payload: {}, auths: [], want: "ok" },
    {
      name: "all scopes in scope (space-split)",
      payload: { scope: "read write" },
      auths: [{ requiredScopes: ["read", "write"], audiences: [] }],
      want: "ok",
    },
    {
      name: "all scopes in scp (list)",
      payload: { scp: ["read", "write"] },
      auths: [{ requiredScopes: ["read", "write"], audiences: [] }],
      want: "ok",
    },
    {
      name: "all scopes in scopes",
      payload: { scopes: ["read", "write"] },
      auths: [{ requiredScopes: ["read", "write"], audiences: [] }],
      want: "ok",
    },
    {
      name: "scopes split across claims do not count",
      payload: { scp: ["read"], scope: "write" },
      auths: [{ requiredScopes: ["read", "write"], audiences: [] }],
      want: "insufficient_scope",
    },
    {
      name: "scp string is one value (Istio splits only scope)",
      payload: { scp: "read write" },
      auths: [{ requiredScopes: ["read"], audiences: [] }],
      want: "insufficient_scope",
    },
    {
      name: "all audiences needed",
      payload: { aud: ["a"] },
      auths: [{ requiredScopes: [], audiences: ["a", "b"] }],
      want: "audience_not_allowed",
    },
    {
      name: "audiences as string",
      payload: { aud: "a" },
      auths: [{ requiredScopes: [], audiences: ["a"] }],
      want: "ok",
    },
    {
      name: "authorizations are alternatives",
      payload: { scope: "admin" },
      auths: [{ requiredScopes: ["read"], audiences: [] }, {
        requiredScopes: ["admin"],
        audiences: [],
      }],
      want: "ok",
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const got = checkAuthorizations(tc.payload, tc.auths);
      assert.equal(got.ok ? "ok" : got.reason, tc.want);
    });
  }
});

Deno.test("claimTypesValid() refuses malformed claims (§8 #8, #9)", async (t) => {
  const cases: { name: string; payload: Record<string, unknown>; want: boolean }[] = [
    {
      name: "well-typed claims",
      payload: { iss: "i", sub: "s", aud: ["a"], exp: 1, scope: "a b" },
      want: true,
    },
    { name: "§8-8 exp as string", payload: { exp: "1" }, want: false },
    { name: "§8-8 exp as float", payload: { exp: 1.5 }, want: false },
    { name: "§8-8 exp as 1e309", payload: { exp: Infinity }, want: false },
    { name: "§8-8 negative exp", payload: { exp: -1 }, want: false },
    { name: "§8-9 aud as object", payload: { aud: { a: 1 } }, want: false },
    { name: "§8-9 aud with non-strings", payload: { aud: ["a", 1] }, want: false },
    { name: "§8-9 scope as number", payload: { scope: 1 }, want: false },
    { name: "sub as number", payload: { sub: 1 }, want: false },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => assert.equal(claimTypesValid(tc.payload), tc.want));
  }
});
