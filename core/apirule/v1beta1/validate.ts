/**
 * The controller-side checks of a v1beta1 APIRule (docs/spec/apirule-v1beta1.md §10) against the whole
 * snapshot, through the shared validation of api/validation.
 */
import type { APIRuleSpecV1beta1 } from "../../../api/apirule/v1beta1.ts";
import type { KubeObject } from "../../../api/meta.ts";
import { validateAPIRuleV1beta1 } from "../../../api/validation/apirule_v1beta1.ts";
import type { Failure } from "../../../api/validation/failure.ts";
import { factsOf } from "../../facts.ts";
import type { Snapshot } from "../../snapshot.ts";
import type { JwtHandlerMode } from "./handlers.ts";

/** Every validation failure of the v1beta1 `spec` of `cr` in the snapshot's cluster. */
export function validateV1beta1InCluster(
  cr: KubeObject,
  spec: APIRuleSpecV1beta1,
  snapshot: Snapshot,
  mode: JwtHandlerMode,
): Failure[] {
  return validateAPIRuleV1beta1({ ...cr, spec }, { ...factsOf(snapshot), jwtHandler: mode })
    .failures;
}
