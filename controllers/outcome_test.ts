import assert from "node:assert/strict";
import type { KubeObject } from "../api/meta.ts";
import type { Plan } from "../core/plan.ts";
import { KubeError } from "../kube/errors.ts";
import type { Execution } from "./execute_plan.ts";
import { outcomeOf } from "./outcome.ts";

const CR: KubeObject = { apiVersion: "v1", kind: "X", metadata: { name: "x" } };

function plan(
  fields: Partial<Plan> & { recheckAfterMs?: number },
): Plan & { recheckAfterMs?: number } {
  return {
    apply: [],
    delete: [],
    cr: CR,
    state: "Ready",
    description: "",
    complete: true,
    ...fields,
  };
}

const APPLIED: Execution = { kind: "applied", status: {} };
const OPTIONS = { what: 'X "x"', recheckAfterMs: 1_000 };

Deno.test("outcomeOf() turns a carried-out plan into the next step", async (t) => {
  const cases: Array<
    [string, Execution, Plan & { recheckAfterMs?: number }, string, (number | undefined)?]
  > = [
    ["Ready: re-check after the controller's period", APPLIED, plan({}), "done", 1_000],
    ["Ready with the plan's own period", APPLIED, plan({ recheckAfterMs: 5 }), "done", 5],
    ["the CR is gone", APPLIED, plan({ cr: undefined, state: "Deleting" }), "done", undefined],
    ["Error the user must fix", APPLIED, plan({ state: "Error" }), "terminal", 1_000],
    ["incomplete: back off", APPLIED, plan({ state: "Warning", complete: false }), "retry"],
    [
      "Processing: poll",
      APPLIED,
      plan({ state: "Processing", complete: false, recheckAfterMs: 5 }),
      "done",
      5,
    ],
    ["objects failed", { kind: "failed", failures: [] }, plan({}), "retry"],
    [
      "the CR write conflicted",
      { kind: "crFailed", error: new KubeError("Conflict", "changed") },
      plan({}),
      "retry",
    ],
    [
      "the CR was deleted meanwhile",
      { kind: "crFailed", error: new KubeError("NotFound", "gone") },
      plan({}),
      "done",
    ],
  ];
  for (const [name, execution, p, kind, recheck] of cases) {
    await t.step(name, () => {
      const outcome = outcomeOf(execution, p, OPTIONS);
      assert.equal(outcome.kind, kind);
      if (outcome.kind !== "retry") assert.equal(outcome.recheckAfterMs, recheck);
    });
  }
});
