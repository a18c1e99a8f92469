/**
 * APIRule status across versions (docs/spec/conversion.md §4 step 2, §8 step 2): v1beta1's aggregate
 * `APIRuleStatus.code` ⇄ v2's `state`. Sub-resource statuses and `observedGeneration` have no v2
 * form; the controller rewrites status on its next reconcile anyway.
 */
import type { HubStatus, V1beta1Status } from "./_types.ts";

const STATE_OF_CODE: Readonly<Record<string, string>> = {
  OK: "Ready",
  ERROR: "Error",
  WARNING: "Warning",
  // v2 has no SKIPPED; upstream reports it only next to another sub-resource's ERROR or WARNING.
  SKIPPED: "Warning",
};

const CODE_OF_STATE: Readonly<Record<string, string>> = {
  Ready: "OK",
  Error: "ERROR",
  Warning: "WARNING",
  Deleting: "OK",
};

/** The v2 status of a v1beta1 status; `undefined` unless it has a non-empty aggregate code. */
export function hubStatusOf(status: V1beta1Status | undefined): HubStatus | undefined {
  const code = status?.APIRuleStatus?.code;
  if (status === undefined || code === undefined || code === "") return undefined;
  const description = status.APIRuleStatus?.desc;
  return {
    ...(status.lastProcessedTime !== undefined
      ? { lastProcessedTime: status.lastProcessedTime }
      : {}),
    // An unknown code maps to an empty state, as upstream's map lookup gives.
    state: Object.hasOwn(STATE_OF_CODE, code) ? STATE_OF_CODE[code] ?? "" : "",
    // Empty texts are dropped, as Go's `omitempty` does.
    ...(description ? { description } : {}),
  };
}

/** The v1beta1 status of a v2 status; `undefined` unless it has a non-empty state. */
export function v1beta1StatusOf(status: HubStatus | undefined): V1beta1Status | undefined {
  const state = status?.state;
  if (status === undefined || state === undefined || state === "") return undefined;
  const code = Object.hasOwn(CODE_OF_STATE, state) ? CODE_OF_STATE[state] : undefined;
  return {
    ...(status.lastProcessedTime !== undefined
      ? { lastProcessedTime: status.lastProcessedTime }
      : {}),
    APIRuleStatus: {
      ...(code !== undefined ? { code } : {}),
      ...(status.description ? { desc: status.description } : {}),
    },
  };
}
