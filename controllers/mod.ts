/**
 * The operator's controllers. Informer events (cache.ts) pass through each kind's trigger
 * mapping (<kind>/triggers.ts) onto that kind's work queue; a worker (controller.ts) plans the
 * key's CR from the cache with the planner `render` uses (core/), carries the plan out
 * (execute_plan.ts: finalizers, apply, owned deletes, status) and turns the result into a
 * re-check, a retry or nothing (outcome.ts). operator.ts wires it all and runs it on the leader.
 */
export { type OperatorConfig, runOperator } from "./operator.ts";
export { INFORMERS } from "./cache.ts";
