import assert from "node:assert/strict";
import { hubStatusOf, v1beta1StatusOf } from "./status.ts";

const TIME = "2025-03-01T10:00:00Z";

Deno.test("hubStatusOf() maps the aggregate code to a state (§4 step 2)", async (t) => {
  const cases: [code: string, state: string][] = [
    ["OK", "Ready"],
    ["ERROR", "Error"],
    ["WARNING", "Warning"],
    ["SKIPPED", "Warning"],
    ["BOGUS", ""],
  ];
  for (const [code, state] of cases) {
    await t.step(`${code} → ${JSON.stringify(state)}`, () => {
      const status = {
        lastProcessedTime: TIME,
        observedGeneration: 3,
        APIRuleStatus: { code, desc: "text" },
        virtualServiceStatus: { code: "SKIPPED" },
      };
      assert.deepEqual(hubStatusOf(status), {
        lastProcessedTime: TIME,
        state,
        description: "text",
      });
    });
  }
  await t.step("no aggregate code → no status", () => {
    assert.equal(hubStatusOf({ lastProcessedTime: TIME }), undefined);
    assert.equal(hubStatusOf({ APIRuleStatus: { code: "" } }), undefined);
    assert.equal(hubStatusOf(undefined), undefined);
  });
});

Deno.test("v1beta1StatusOf() maps the state to an aggregate code (§8 step 2)", async (t) => {
  const cases: [state: string, code: string | undefined][] = [
    ["Ready", "OK"],
    ["Error", "ERROR"],
    ["Warning", "WARNING"],
    ["Deleting", "OK"],
    ["Processing", undefined],
    ["toString", undefined],
  ];
  for (const [state, code] of cases) {
    await t.step(`${state} → ${code ?? "(no code)"}`, () => {
      assert.deepEqual(v1beta1StatusOf({ state, description: "d", lastProcessedTime: TIME }), {
        lastProcessedTime: TIME,
        APIRuleStatus: { ...(code ? { code } : {}), desc: "d" },
      });
    });
  }
  await t.step("no state → no status", () => {
    assert.equal(v1beta1StatusOf({ description: "d" }), undefined);
    assert.equal(v1beta1StatusOf(undefined), undefined);
  });
});
