/**
 * v1beta1 status values (docs/spec/apirule-v1beta1.md §11): the per-sub-resource entries of the mode and
 * the validation description format. apigw persists a success as `OK` (decision 1), with a hint
 * that v2 is recommended.
 */
import type { APIRuleStatusV1beta1, StatusCode } from "../../../api/apirule/v1beta1.ts";
import type { CRState } from "../../plan.ts";
import { rfc3339 } from "../status_v2.ts";
import type { JwtHandlerMode } from "./handlers.ts";

export const READY_DESCRIPTION_V1BETA1 =
  "Reconciled successfully. APIRule v1beta1 is deprecated: version v2 is recommended";

/** The v1beta1 status: `APIRuleStatus` plus one entry per sub-resource kind of the mode. */
export function statusV1beta1(
  code: StatusCode,
  description: string,
  options: { now: Date; mode: JwtHandlerMode | undefined; base: StatusCode | undefined },
): APIRuleStatusV1beta1 {
  const entry = options.base === undefined ? undefined : { code: options.base };
  return {
    lastProcessedTime: rfc3339(options.now),
    APIRuleStatus: { code, desc: description },
    ...(entry !== undefined ? { virtualServiceStatus: entry } : {}),
    ...(entry !== undefined && options.mode === "ory" ? { accessRuleStatus: entry } : {}),
    ...(entry !== undefined && options.mode === "istio"
      ? { requestAuthenticationStatus: entry, authorizationPolicyStatus: entry }
      : {}),
    ...(entry !== undefined && options.mode === "apigw"
      ? { authorizationPolicyStatus: entry }
      : {}),
  };
}

/** The persisted state of a v1beta1 outcome (§11.2). */
export function stateOf(code: StatusCode): CRState {
  return code === "OK" ? "Ready" : code === "ERROR" ? "Error" : "Warning";
}
