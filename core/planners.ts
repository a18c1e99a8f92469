/** Every planner, by API group and kind, in the order `render` runs them. */
import type { PlannerEntry } from "./reconcile_all.ts";
import { planAPIRule } from "./apirule/plan.ts";
import { planAPIGateway } from "./apigateway/plan.ts";
import { planRateLimit } from "./ratelimit/plan.ts";

export const PLANNERS: readonly PlannerEntry[] = [
  { group: "operator.kyma-project.io", kind: "APIGateway", order: 0, planner: planAPIGateway },
  { group: "gateway.kyma-project.io", kind: "APIRule", order: 2, planner: planAPIRule },
  { group: "gateway.kyma-project.io", kind: "RateLimit", order: 1, planner: planRateLimit },
];
