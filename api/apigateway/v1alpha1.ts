/**
 * APIGateway `operator.kyma-project.io/v1alpha1` (docs/spec/apigateway.md §1): the cluster-scoped singleton
 * that installs the Kyma Gateway, the Oathkeeper stack and the operator NetworkPolicy.
 */
import { array, boolean, enumOf, integer, object, type Static, string } from "../schema/build.ts";
import { metadata, type ObjectMeta } from "../meta.ts";
import { STATES } from "../apirule/v2.ts";

export const APIGatewaySpec = object({
  enableKymaGateway: boolean(),
  networkPoliciesEnabled: boolean(),
});
export type APIGatewaySpec = Static<typeof APIGatewaySpec>;

/** A standard `metav1.Condition`. */
export const Condition = object({
  type: string({ maxLength: 316 }),
  status: enumOf(["True", "False", "Unknown"]),
  observedGeneration: integer({ format: "int64", minimum: 0 }),
  lastTransitionTime: string({ format: "date-time" }),
  reason: string({ maxLength: 1024, minLength: 1 }),
  message: string({ maxLength: 32768 }),
}, { required: ["type", "status", "lastTransitionTime", "reason", "message"] });
export type Condition = Static<typeof Condition>;

export const APIGatewayStatus = object({
  state: enumOf(STATES),
  description: string(),
  conditions: array(Condition),
}, { required: ["state"] });
export type APIGatewayStatus = Static<typeof APIGatewayStatus>;

export const APIGateway = object({
  apiVersion: string(),
  kind: string(),
  metadata: metadata(),
  spec: APIGatewaySpec,
  status: APIGatewayStatus,
});

export interface APIGatewayObject {
  apiVersion: "operator.kyma-project.io/v1alpha1";
  kind: "APIGateway";
  metadata: ObjectMeta;
  spec?: APIGatewaySpec;
  status?: APIGatewayStatus;
}
