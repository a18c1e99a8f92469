/** APIRule v2 status values and descriptions (docs/spec/apirule-v2.md §14). */
import type { APIRuleStatus } from "../../api/apirule/v2.ts";

export const READY_DESCRIPTION = "Reconciled successfully";

/** The status object a reconcile writes. */
export function statusV2(
  state: APIRuleStatus["state"],
  description: string,
  now: Date,
): APIRuleStatus {
  return { lastProcessedTime: rfc3339(now), state, description };
}

/** RFC 3339 with seconds precision, as Kubernetes serialises `metav1.Time`. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
