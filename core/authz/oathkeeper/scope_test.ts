import assert from "node:assert/strict";
import { grantedScopes, scopeGranted } from "./scope.ts";

Deno.test("scopeGranted() follows fosite's strategies", async (t) => {
  const cases: Array<[Parameters<typeof scopeGranted>[0], string[], string, boolean]> = [
    ["exact", ["orders.read"], "orders.read", true],
    ["exact", ["orders"], "orders.read", false],
    ["hierarchic", ["orders"], "orders.read", true],
    ["hierarchic", ["orders"], "ordersx", false],
    ["hierarchic", ["orders.read"], "orders", false],
    ["wildcard", ["orders.*"], "orders.read", true],
    ["wildcard", ["orders.*"], "orders.read.all", true],
    ["wildcard", ["orders.*.all"], "orders.read.all", true],
    ["wildcard", ["orders.*.all"], "orders.read.some", false],
    ["wildcard", ["orders.*"], "orders", false],
    ["wildcard", ["*"], "anything", true],
    ["none", [], "anything", true],
  ];
  for (const [strategy, granted, required, expected] of cases) {
    await t.step(`${strategy}: ${granted.join(",")} → ${required}`, () => {
      assert.equal(scopeGranted(strategy, granted, required), expected);
    });
  }
});

Deno.test("grantedScopes() reads scp, then scope, then scopes", () => {
  assert.deepEqual(grantedScopes({ scp: ["a", "b"], scope: "c" }), ["a", "b"]);
  assert.deepEqual(grantedScopes({ scope: "a  b" }), ["a", "b"]);
  assert.deepEqual(grantedScopes({ scopes: "a b" }), ["a", "b"]);
  assert.deepEqual(grantedScopes({}), []);
});
