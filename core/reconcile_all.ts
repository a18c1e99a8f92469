/**
 * Offline reconcile of every apigw CR in a set of objects, as `render` does it: CRs in dependency
 * order (APIGateway, then RateLimit, then APIRule), each planned against a snapshot that holds
 * the other objects plus everything planned before it (so a RateLimit sees the APIGateway status
 * just computed, and a second APIRule sees the first one's VirtualService).
 */
import type { KubeObject } from "../api/meta.ts";
import type { Plan, Planner, PlanOptions } from "./plan.ts";
import { groupOf, snapshotOf } from "./snapshot.ts";

export interface PlannerEntry {
  group: string;
  kind: string;
  /** Lower runs first. */
  order: number;
  planner: Planner;
}

export interface ReconcileAllOptions extends PlanOptions {
  planners: readonly PlannerEntry[];
  crds: ReadonlySet<string>;
}

export interface PlannedCR {
  input: KubeObject;
  plan: Plan;
}

/** Plans every CR that has a planner; returns the plans in the order they ran. */
export function reconcileAll(
  objects: readonly KubeObject[],
  options: ReconcileAllOptions,
): PlannedCR[] {
  const entryOf = (o: KubeObject) =>
    options.planners.find((p) => p.group === groupOf(o.apiVersion) && p.kind === o.kind);
  const crs = objects.filter((o) => entryOf(o) !== undefined).sort((a, b) =>
    entryOf(a)!.order - entryOf(b)!.order || key(a).localeCompare(key(b))
  );
  let state: KubeObject[] = [...objects];
  const planned: PlannedCR[] = [];
  for (const cr of crs) {
    const plan = planOrError(entryOf(cr)!.planner, cr, snapshotOf(state, options.crds), {
      now: options.now,
    });
    planned.push({ input: cr, plan });
    state = nextState(state, cr, plan);
  }
  return planned;
}

/**
 * Planners are total; one that throws anyway (a shape its parser let through) must not take the
 * whole render down: the CR ends `Error` with a description naming it, and nothing is applied.
 */
function planOrError(
  planner: Planner,
  cr: KubeObject,
  snapshot: ReturnType<typeof snapshotOf>,
  options: PlanOptions,
): Plan {
  try {
    return planner(cr, snapshot, options);
  } catch (error) {
    const { namespace, name } = cr.metadata ?? {};
    const who = `${cr.kind} ${namespace ? `${namespace}/` : ""}${name ?? ""}`;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return {
      apply: [],
      delete: [],
      cr,
      state: "Error",
      description: `Cannot plan ${who}: unexpected shape (${reason})`,
      complete: true,
    };
  }
}

function nextState(state: KubeObject[], cr: KubeObject, plan: Plan): KubeObject[] {
  const deleted = new Set(plan.delete.map(identity));
  const applied = new Map(plan.apply.filter((o) => o.metadata.name).map((o) => [identity(o), o]));
  const next = state.filter((o) =>
    o !== cr && !deleted.has(identity(o)) && !applied.has(identity(o))
  );
  next.push(...applied.values(), ...plan.apply.filter((o) => !o.metadata.name));
  if (plan.cr !== undefined) next.push(plan.cr);
  return next;
}

function identity(o: KubeObject): string {
  return `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ""}/${
    o.metadata.name ?? ""
  }`;
}

function key(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
}
