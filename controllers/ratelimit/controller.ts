/**
 * The RateLimit controller (docs/spec/ratelimit.md §2): plans each RateLimit with the planner `render`
 * uses and applies its EnvoyFilter, which carries a controller reference to the RateLimit. There
 * is no garbage collector to rely on (the test cluster has none, and a stopped collector must not
 * leave limits behind): when a RateLimit is gone, the controller deletes the EnvoyFilter (and the
 * AuthorizationPolicy of `spec.global`) its controller reference names, once the apiserver
 * confirms the RateLimit does not exist.
 */
import type { KubeObject } from "../../api/meta.ts";
import { planRateLimit, RECHECK_AFTER_MS } from "../../core/ratelimit/plan.ts";
import type { KubeClient } from "../../kube/client.ts";
import type { EventRecorder } from "../../kube/events.ts";
import { splitKey } from "../../kube/object.ts";
import { getObject } from "../../kube/objects.ts";
import { resourceType } from "../../kube/resources.ts";
import type { ClusterCache } from "../cache.ts";
import type { Controller, Outcome, ReconcileContext } from "../controller.ts";
import { deleteOwned, executePlan, type Failure } from "../execute_plan.ts";
import { outcomeOf } from "../outcome.ts";

export interface RateLimitControllerDeps {
  client: KubeClient;
  cache: ClusterCache;
  events: EventRecorder;
  now: () => Date;
}

const GROUP = "gateway.kyma-project.io";
const RATELIMIT = resourceType(GROUP, "RateLimit");

/** The controller of RateLimits. */
export function rateLimitController(deps: RateLimitControllerDeps): Controller {
  return {
    name: "ratelimit",
    async reconcile(key, context) {
      const { namespace, name } = splitKey(key);
      const owns = (object: KubeObject) => isControlledBy(object, name);
      const cr = deps.cache.get(GROUP, "RateLimit", namespace, name);
      if (cr === undefined) return await removeFilter({ namespace, name }, deps, context);
      const plan = planRateLimit(cr, deps.cache.snapshot(), { now: deps.now() });
      const execution = await executePlan(cr, plan, {
        owns,
        failureStatus: (failures) => ({
          state: "Error",
          description: `failed to create EnvoyFilter: ${messages(failures)}`,
        }),
      }, { ...deps, ...context });
      const outcome = outcomeOf(execution, plan, {
        what: `RateLimit "${key}"`,
        recheckAfterMs: RECHECK_AFTER_MS,
      });
      context.log.info("Reconciled RateLimit", { state: plan.state, outcome: outcome.kind });
      return outcome;
    },
  };
}

/** The EnvoyFilter of a RateLimit that is gone, deleted once the apiserver confirms it. */
async function removeFilter(
  owner: { namespace: string; name: string },
  deps: RateLimitControllerDeps,
  context: ReconcileContext,
): Promise<Outcome> {
  // The EnvoyFilter, and the CUSTOM AuthorizationPolicy of a RateLimit with `spec.global`.
  const owned = [
    deps.cache.get("networking.istio.io", "EnvoyFilter", owner.namespace, owner.name),
    deps.cache.get("security.istio.io", "AuthorizationPolicy", owner.namespace, owner.name),
  ].filter((o): o is KubeObject => o !== undefined && isControlledBy(o, owner.name));
  if (owned.length === 0) return { kind: "done" };
  const live = await getObject(deps.client, { type: RATELIMIT, ...owner }, {
    signal: context.signal,
  });
  if (live.ok) return { kind: "done" };
  if (live.error.reason !== "NotFound") return { kind: "retry", error: live.error };
  const failures = await deleteOwned(owned, {
    owns: (object) => isControlledBy(object, owner.name),
  }, { ...deps, ...context });
  return failures.length === 0
    ? { kind: "done" }
    : { kind: "retry", error: new Error(messages(failures)) };
}

/** Whether the object's controller reference names the RateLimit `name` (docs/spec/ratelimit.md §4.1). */
export function isControlledBy(object: KubeObject, name: string): boolean {
  return (object.metadata.ownerReferences ?? []).some((reference) =>
    reference.controller === true && reference.kind === "RateLimit" &&
    reference.apiVersion.startsWith(`${GROUP}/`) && reference.name === name
  );
}

function messages(failures: readonly Failure[]): string {
  return failures.map((f) => f.error.message).join(", ");
}
