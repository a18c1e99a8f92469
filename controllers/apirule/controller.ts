/**
 * The APIRule controller (docs/spec/apirule-v2.md §4, §14–§16; docs/spec/apirule-v1beta1.md §8, §11–§12): plans each
 * APIRule from the cache with the same planner `render` uses, and carries the plan out. Objects an
 * APIRule owns carry its owner labels and may live in other namespaces; only objects with those
 * labels are ever updated or deleted. The finalizer is added before the first object exists, so
 * deleting the APIRule runs its cleanup; should the finalizer be removed by hand, the objects apigw
 * wrote for the vanished APIRule are deleted once the apiserver confirms it is gone.
 */
import { isOwnedBy } from "../../core/apirule/labels.ts";
import { OWNER_INDEX } from "../../core/apirule/owned.ts";
import { planAPIRule } from "../../core/apirule/plan.ts";
import { statusV2 } from "../../core/apirule/status_v2.ts";
import type { KubeClient } from "../../kube/client.ts";
import type { EventRecorder } from "../../kube/events.ts";
import { splitKey } from "../../kube/object.ts";
import type { ClusterCache } from "../cache.ts";
import type { Controller, Outcome, ReconcileContext } from "../controller.ts";
import { deleteOrphans } from "../orphans.ts";
import { getObject } from "../../kube/objects.ts";
import { resourceType } from "../../kube/resources.ts";
import { executePlan, type Failure } from "../execute_plan.ts";
import type { OperatorMetrics } from "../operator_metrics.ts";
import { outcomeOf } from "../outcome.ts";

export interface APIRuleControllerDeps {
  client: KubeClient;
  cache: ClusterCache;
  events: EventRecorder;
  metrics: OperatorMetrics;
  now: () => Date;
  /** Re-check of a reconciled APIRule (`--reconciliation-interval`). */
  reconciliationIntervalMs: number;
}

const GROUP = "gateway.kyma-project.io";
const APIRULE = resourceType(GROUP, "APIRule");
const OWNED = [
  ["security.istio.io", "AuthorizationPolicy"],
  ["security.istio.io", "RequestAuthentication"],
  ["networking.istio.io", "VirtualService"],
  ["oathkeeper.ory.sh", "Rule"],
] as const;

/** The controller of APIRules (read in the storage version, v2alpha1). */
export function apiRuleController(deps: APIRuleControllerDeps): Controller {
  return {
    name: "apirule",
    async reconcile(key, context) {
      const { namespace, name } = splitKey(key);
      const cr = deps.cache.get(GROUP, "APIRule", namespace, name);
      if (cr === undefined) return await removeOrphans({ namespace, name }, deps, context);
      const now = deps.now();
      const plan = planAPIRule(cr, deps.cache.snapshot(), { now });
      const execution = await executePlan(cr, plan, {
        owns: (object) => isOwnedBy(object.metadata.labels, name, namespace),
        failureStatus: (failures) => statusV2("Error", describeFailures(failures), now),
      }, { ...deps, ...context });
      if (execution.kind === "crFailed" && execution.error.reason === "Conflict") {
        deps.metrics.apiRuleModifiedErrors.inc();
      }
      const outcome = outcomeOf(execution, plan, {
        what: `APIRule "${key}"`,
        recheckAfterMs: deps.reconciliationIntervalMs,
      });
      context.log.info("Reconciled APIRule", { state: plan.state, outcome: outcome.kind });
      return outcome;
    },
  };
}

/** Objects still labelled for an APIRule that does not exist (see orphans.ts). */
async function removeOrphans(
  owner: { namespace: string; name: string },
  deps: APIRuleControllerDeps,
  context: ReconcileContext,
): Promise<Outcome> {
  const snapshot = deps.cache.snapshot();
  const owned = OWNED.flatMap(([group, kind]) =>
    snapshot.byIndex(group, kind, OWNER_INDEX, `${owner.name}.${owner.namespace}`).filter((o) =>
      isOwnedBy(o.metadata.labels, owner.name, owner.namespace)
    )
  );
  if (owned.length === 0) return { kind: "done" };
  const live = await getObject(deps.client, { type: APIRULE, ...owner }, {
    signal: context.signal,
  });
  if (live.ok) return { kind: "done" }; // The cache has not seen it yet; its event will come.
  if (live.error.reason !== "NotFound") return { kind: "retry", error: live.error };
  const errors = await deleteOrphans(owned, { ...deps, ...context });
  return errors.length === 0
    ? { kind: "done" }
    : { kind: "retry", error: new Error(errors.map((e) => e.message).join("; ")) };
}

/** §14: one line per object kind, `<Kind>Errors: <err1>, <err2>`. */
export function describeFailures(failures: readonly Failure[]): string {
  const byKind = new Map<string, string[]>();
  for (const failure of failures) {
    const kind = STATUS_KIND[failure.object.kind] ?? "ApiRule";
    byKind.set(kind, [...(byKind.get(kind) ?? []), failure.error.message]);
  }
  return [...byKind].map(([kind, errors]) => `${kind}Errors: ${errors.join(", ")}`).join("\n");
}

const STATUS_KIND: Record<string, string> = {
  VirtualService: "VirtualService",
  AuthorizationPolicy: "AuthorizationPolicy",
  RequestAuthentication: "RequestAuthentication",
  Rule: "AccessRule",
};
