import assert from "node:assert/strict";
import type { KubeObject } from "../api/meta.ts";
import { OFFLINE_CRDS } from "./installed_crds.ts";
import type { Planner } from "./plan.ts";
import { reconcileAll } from "./reconcile_all.ts";

const CR: KubeObject = {
  apiVersion: "gateway.kyma-project.io/v2",
  kind: "APIRule",
  metadata: { name: "orders", namespace: "shop" },
  spec: {},
};

Deno.test("reconcileAll() turns a throwing planner into an Error plan naming the CR", () => {
  const throwing: Planner = () => {
    throw new TypeError("Cannot read properties of null (reading 'name')");
  };
  const planned = reconcileAll([CR], {
    planners: [{ group: "gateway.kyma-project.io", kind: "APIRule", order: 0, planner: throwing }],
    crds: OFFLINE_CRDS,
    now: new Date("2026-01-01T00:00:00Z"),
  });
  assert.equal(planned.length, 1);
  const { plan } = planned[0]!;
  assert.equal(plan.state, "Error");
  assert.deepEqual(plan.apply, []);
  assert.equal(plan.cr, CR);
  assert.equal(
    plan.description,
    "Cannot plan APIRule shop/orders: unexpected shape (TypeError: Cannot read properties of null (reading 'name'))",
  );
});
