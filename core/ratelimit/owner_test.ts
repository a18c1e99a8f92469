import assert from "node:assert/strict";
import { apiGateway } from "./_testing.ts";
import { oldestAPIGateway, stateOf } from "./owner.ts";

Deno.test("oldestAPIGateway() picks the oldest CR, ties by name, unstored CRs last", async (t) => {
  const gateway = (name: string, creationTimestamp?: string) =>
    apiGateway("Ready", { name, ...(creationTimestamp ? { creationTimestamp } : {}) });
  const cases: Array<
    { name: string; gateways: ReturnType<typeof gateway>[]; owner: string | undefined }
  > = [
    { name: "none", gateways: [], owner: undefined },
    {
      name: "the oldest",
      gateways: [gateway("b", "2024-01-02T00:00:00Z"), gateway("a", "2024-01-03T00:00:00Z")],
      owner: "b",
    },
    {
      name: "ties by name",
      gateways: [gateway("zz", "2024-01-01T00:00:00Z"), gateway("aa", "2024-01-01T00:00:00Z")],
      owner: "aa",
    },
    {
      name: "a CR without timestamp is the youngest",
      gateways: [gateway("a"), gateway("b", "2024-01-01T00:00:00Z")],
      owner: "b",
    },
    {
      name: "several without timestamp: by name",
      gateways: [gateway("b"), gateway("a")],
      owner: "a",
    },
  ];
  for (const tc of cases) {
    await t.step(
      tc.name,
      () => assert.equal(oldestAPIGateway(tc.gateways)?.metadata.name, tc.owner),
    );
  }
});

Deno.test("stateOf() reads status.state, empty when missing", async (t) => {
  await t.step("Ready", () => assert.equal(stateOf(apiGateway("Ready")), "Ready"));
  await t.step("no status", () => assert.equal(stateOf(apiGateway(null)), ""));
  await t.step(
    "not a string",
    () => assert.equal(stateOf({ ...apiGateway(), status: { state: 3 } }), ""),
  );
});
