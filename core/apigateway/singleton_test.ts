import assert from "node:assert/strict";
import { planAPIGateway } from "./plan.ts";
import { ownerAPIGateway } from "./singleton.ts";
import { apiGateway, NOW, snapshot } from "./_testing.ts";
import { MODULE_FINALIZER } from "./deletion.ts";

const T1 = "2025-01-01T00:00:00Z";
const T2 = "2025-01-02T00:00:00Z";

const OWNER_CASES = [
  { name: "no CR", crs: [], owner: undefined },
  {
    name: "the oldest CR owns the module",
    crs: [
      apiGateway("a", { metadata: { creationTimestamp: T2 } }),
      apiGateway("z", { metadata: { creationTimestamp: T1 } }),
    ],
    owner: "z",
  },
  {
    name: "equal timestamps: the smaller name",
    crs: [
      apiGateway("b", { metadata: { creationTimestamp: T1 } }),
      apiGateway("a", { metadata: { creationTimestamp: T1 } }),
    ],
    owner: "a",
  },
  {
    name: "a CR not stored yet (no timestamp) is the youngest",
    crs: [apiGateway("a"), apiGateway("z", { metadata: { creationTimestamp: T2 } })],
    owner: "z",
  },
  {
    name: "no timestamps at all: the smaller name",
    crs: [apiGateway("zz-second"), apiGateway("default")],
    owner: "default",
  },
];

Deno.test("ownerAPIGateway() picks the oldest CR, ties by name", async (t) => {
  for (const tc of OWNER_CASES) {
    await t.step(tc.name, () => {
      assert.equal(ownerAPIGateway(snapshot(tc.crs))?.metadata.name, tc.owner);
    });
  }
});

Deno.test("planAPIGateway() parks a younger CR in Warning and installs nothing for it", () => {
  const owner = apiGateway("default", { metadata: { creationTimestamp: T1 } });
  const younger = apiGateway("second", { metadata: { creationTimestamp: T2 } });
  const plan = planAPIGateway(younger, snapshot([owner, younger]), { now: NOW });
  assert.equal(plan.state, "Warning");
  assert.equal(
    plan.description,
    "stopped APIGateway CR reconciliation: only APIGateway CR default reconciles the module",
  );
  assert.deepEqual(plan.apply, []);
  assert.deepEqual(plan.delete, []);
  assert.equal(plan.cr?.metadata.finalizers, undefined);
  assert.equal(plan.complete, true, "a parked CR is not retried");
  assert.equal(plan.recheckAfterMs, undefined);
});

Deno.test("planAPIGateway() lets a deleted younger CR go even when it carries our finalizer", async (t) => {
  const owner = apiGateway("default", { metadata: { creationTimestamp: T1 } });
  for (
    const tc of [
      { name: "only ours: gone", finalizers: [MODULE_FINALIZER], remaining: undefined },
      { name: "a foreign one stays", finalizers: [MODULE_FINALIZER, "x/y"], remaining: ["x/y"] },
    ]
  ) {
    await t.step(tc.name, () => {
      const younger = apiGateway("second", {
        metadata: { creationTimestamp: T2, deletionTimestamp: T2, finalizers: tc.finalizers },
      });
      const plan = planAPIGateway(younger, snapshot([owner, younger]), { now: NOW });
      assert.equal(plan.cr === undefined, tc.remaining === undefined);
      assert.deepEqual(plan.cr?.metadata.finalizers, tc.remaining);
      assert.deepEqual(plan.delete, [], "the owner's infrastructure stays");
    });
  }
});
