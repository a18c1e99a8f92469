/**
 * The APIRule planner: v1beta1 objects, and stored objects whose rules were authored in v1beta1
 * (`original-version: v1beta1`), take the v1beta1 pipeline; everything else the v2 pipeline
 * (docs/spec/apirule-v2.md §4 step 6).
 */
import type { Planner } from "../plan.ts";
import { ORIGINAL_VERSION_ANNOTATION } from "./labels.ts";
import { planAPIRuleV2 } from "./plan_v2.ts";
import { planAPIRuleV1beta1 } from "./v1beta1/plan.ts";

/** Plans one APIRule of any served version. */
export const planAPIRule: Planner = (cr, snapshot, options) => {
  const v1beta1 = cr.apiVersion === "gateway.kyma-project.io/v1beta1" ||
    cr.metadata.annotations?.[ORIGINAL_VERSION_ANNOTATION] === "v1beta1";
  return v1beta1 ? planAPIRuleV1beta1(cr, snapshot, options) : planAPIRuleV2(cr, snapshot, options);
};
