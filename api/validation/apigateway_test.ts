import assert from "node:assert/strict";
import { ownerOf, validateAPIGateway } from "./apigateway.ts";

function apiGateway(name: string): unknown {
  return {
    apiVersion: "operator.kyma-project.io/v1alpha1",
    kind: "APIGateway",
    metadata: { name },
  };
}

Deno.test("validateAPIGateway() parks every CR but the oldest (docs/spec/apigateway.md §2)", async (t) => {
  const apiGateways = [
    { name: "zz-second" },
    { name: "default" },
    { name: "older", creationTimestamp: "2024-01-01T00:00:00Z" },
  ];
  await t.step("a younger CR fails with upstream's text", () => {
    assert.deepEqual(validateAPIGateway(apiGateway("default"), { apiGateways }).failures, [{
      attributePath: "",
      message:
        "stopped APIGateway CR reconciliation: only APIGateway CR older reconciles the module",
    }]);
  });
  await t.step("the oldest CR passes", () => {
    assert.deepEqual(validateAPIGateway(apiGateway("older"), { apiGateways }), {
      failures: [],
      notes: [],
    });
  });
  await t.step("a single CR passes", () => {
    assert.deepEqual(
      validateAPIGateway(apiGateway("default"), { apiGateways: [{ name: "default" }] }),
      {
        failures: [],
        notes: [],
      },
    );
  });
  await t.step("without the other CRs the check is noted", () => {
    assert.deepEqual(validateAPIGateway(apiGateway("default"), {}).notes, [
      "Singleton check skipped: the other APIGateway CRs are unknown",
    ]);
  });
});

Deno.test("ownerOf() takes the oldest, then the first name, then CRs without timestamp", async (t) => {
  const cases: Array<
    [string, Array<{ name: string; creationTimestamp?: string }>, string | undefined]
  > = [
    ["none", [], undefined],
    ["by time", [{ name: "a", creationTimestamp: "2024-01-02T00:00:00Z" }, {
      name: "b",
      creationTimestamp: "2024-01-01T00:00:00Z",
    }], "b"],
    ["ties by name", [{ name: "zz", creationTimestamp: "2024-01-01T00:00:00Z" }, {
      name: "aa",
      creationTimestamp: "2024-01-01T00:00:00Z",
    }], "aa"],
    [
      "stored before new",
      [{ name: "a" }, { name: "z", creationTimestamp: "2024-01-01T00:00:00Z" }],
      "z",
    ],
    ["new ones by name", [{ name: "zz-second" }, { name: "default" }], "default"],
  ];
  for (const [name, list, owner] of cases) {
    await t.step(name, () => assert.equal(ownerOf(list)?.name, owner));
  }
});
