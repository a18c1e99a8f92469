import assert from "node:assert/strict";
import { guarded } from "./_guarded.ts";

const RULE = { kind: "APIRule", metadata: { name: "orders", namespace: "shop" } };

Deno.test("guarded() returns what the compiler returns", () => {
  assert.equal(guarded(RULE, () => 42), 42);
});

Deno.test("guarded() turns a throw into a problem naming the object", () => {
  assert.deepEqual(
    guarded(RULE, () => {
      throw new TypeError("Cannot read properties of null (reading 'namespace')");
    }),
    {
      object: "APIRule shop/orders",
      reason:
        "Cannot compile: unexpected shape (TypeError: Cannot read properties of null (reading 'namespace'))",
    },
  );
});
