import assert from "node:assert/strict";
import {
  deletionBlocked,
  kymaGatewayDeletionBlocked,
  olderCRExists,
  type Outcome,
  processing,
  statusOf,
  SUCCEEDED,
} from "./status.ts";

const CONDITION_CASES: Array<{ name: string; outcome: Outcome; status: string }> = [
  { name: "Ready is True", outcome: SUCCEEDED, status: "True" },
  { name: "Processing is Unknown", outcome: processing(""), status: "Unknown" },
  { name: "Warning is False", outcome: olderCRExists("default"), status: "False" },
];

Deno.test("statusOf() writes one Ready condition whose status follows the reason", async (t) => {
  for (const tc of CONDITION_CASES) {
    await t.step(tc.name, () => {
      const status = statusOf(tc.outcome, new Date("2026-01-01T10:20:30.456Z"));
      assert.equal(status.conditions?.length, 1);
      assert.deepEqual(status.conditions?.[0], {
        type: "Ready",
        status: tc.status,
        reason: tc.outcome.reason,
        message: tc.outcome.message,
        lastTransitionTime: "2026-01-01T10:20:30Z",
      });
    });
  }
});

Deno.test("statusOf() does not throw for an invalid time", () => {
  assert.equal(
    statusOf(SUCCEEDED, new Date(Number.NaN)).conditions?.[0]?.lastTransitionTime,
    "1970-01-01T00:00:00Z",
  );
});

Deno.test("deletionBlocked() and kymaGatewayDeletionBlocked() keep upstream's texts", () => {
  assert.deepEqual(deletionBlocked("Rule", ["a/r1", "b/r2"]), {
    state: "Warning",
    description:
      "There are ORY Oathkeeper Rule(s) that block the deletion of API-Gateway CR. Please take a look at kyma-system/api-gateway-controller-manager logs to see more information about the warning",
    reason: "DeletionBlockedExistingResources",
    message: "API Gateway deletion blocked because of the existing custom resources: a/r1, b/r2",
  });
  assert.deepEqual(kymaGatewayDeletionBlocked(["vs1"]), {
    state: "Warning",
    description:
      "There are custom resources that block the deletion of Kyma Gateway. Please take a look at kyma-system/api-gateway-controller-manager logs to see more information about the warning",
    reason: "KymaGatewayDeletionBlocked",
    message: "Kyma Gateway deletion blocked because of the existing custom resources: vs1",
  });
});
