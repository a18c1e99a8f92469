/**
 * The APIGateway planner (docs/spec/apigateway.md): the oldest CR installs the module's infrastructure —
 * NetworkPolicy, Kyma Gateway, Oathkeeper stack, operator VPA — and tears it down once nothing in
 * the cluster needs it any more; younger CRs are parked in `Warning`.
 *
 * Flow: singleton check → (not deleting) install pass → status. While deleting: blocking checks
 * (§5.1, §7.7) → blocked: a "keep" pass ending in Warning; otherwise everything is deleted and the
 * finalizers are removed in the same plan, so they go only after the cleanup (§15 weak spot 1).
 */
import type { KubeObject, ObjectMeta } from "../../api/meta.ts";
import type { Plan, PlanOptions } from "../plan.ts";
import type { Snapshot } from "../snapshot.ts";
import { APIGATEWAY_GROUP, DEFAULT_MODULE_VERSION } from "./_meta.ts";
import { isRecord, stringAt, stringsAt, valueAt } from "./_read.ts";
import {
  deletionBlocker,
  KYMA_GATEWAY_FINALIZER,
  MODULE_FINALIZER,
  withoutFinalizers,
} from "./deletion.ts";
import type { GeneratedSecret } from "./generated.ts";
import { kymaGatewayBlocker } from "./kyma_gateway_blockers.ts";
import { kymaGatewayReferences } from "./kyma_gateway.ts";
import { networkPolicyReference } from "./network_policy.ts";
import { oathkeeperReferences } from "./oathkeeper.ts";
import { type OathkeeperImages, SHIPPED_IMAGES } from "./oathkeeper_deployment.ts";
import { installPass, type PassResult } from "./pass.ts";
import { oldestAPIGateway } from "./singleton.ts";
import { olderCRExists, type Outcome, statusOf, SUCCEEDED } from "./status.ts";
import { operatorVPAReferences } from "./vpa.ts";

/** What the operator adds to the plan options; `render` leaves them out. */
export interface APIGatewayPlanOptions extends PlanOptions {
  /** The Oathkeeper images (default: the shipped references, as `render` uses them, §14). */
  images?: OathkeeperImages;
  /** `app.kubernetes.io/version` of the operator's objects (default `dev`). */
  moduleVersion?: string;
  /**
   * Report the Oathkeeper Deployment's availability (the operator). Off by default: `render` has
   * no kubelet and reports the state reached once every object is applied (§14).
   */
  awaitOathkeeper?: boolean;
}

/** A plan with what only the APIGateway controller needs. */
export interface APIGatewayPlan extends Plan {
  /** Secrets in `apply` whose data the operator generates or keeps (decisions 9, 10). */
  generate: GeneratedSecret[];
  /** When to reconcile again without a triggering event; absent: only on events or retries. */
  recheckAfterMs?: number;
}

/** Plans one APIGateway CR. Total: any object and snapshot give a plan. */
export function planAPIGateway(
  cr: KubeObject,
  snapshot: Snapshot,
  options: APIGatewayPlanOptions,
): APIGatewayPlan {
  const name = stringAt(cr, "metadata", "name") ?? "";
  const others = snapshot.list(APIGATEWAY_GROUP, "APIGateway").filter((o) =>
    o.metadata.name !== name
  );
  const owner = oldestAPIGateway([...others, cr]) ?? cr;
  const finalizers = stringsAt(cr, "metadata", "finalizers");
  const deleting = stringAt(cr, "metadata", "deletionTimestamp") !== undefined;
  if (owner !== cr) return parked(cr, owner, { finalizers, deleting, now: options.now });
  const config = {
    images: options.images ?? SHIPPED_IMAGES,
    moduleVersion: options.moduleVersion ?? DEFAULT_MODULE_VERSION,
    awaitOathkeeper: options.awaitOathkeeper ?? false,
    now: options.now,
  };
  const input = { name, spec: valueAt(cr, "spec"), finalizers };
  if (!deleting) {
    return fromPass(
      cr,
      installPass(snapshot, input, { ...config, mode: "reconcile" }),
      options.now,
    );
  }
  const blocker = (finalizers.includes(MODULE_FINALIZER) ? deletionBlocker(snapshot) : undefined) ??
    (finalizers.includes(KYMA_GATEWAY_FINALIZER) ? kymaGatewayBlocker(snapshot) : undefined);
  if (blocker !== undefined) {
    const pass = installPass(snapshot, input, { ...config, mode: "keep" });
    return fromPass(cr, { ...pass, outcome: blocker, complete: false }, options.now);
  }
  return teardown(cr, snapshot, { finalizers, now: options.now });
}

/** Deletes everything the CR installed, then lets it go. */
function teardown(
  cr: KubeObject,
  snapshot: Snapshot,
  options: { finalizers: readonly string[]; now: Date },
): APIGatewayPlan {
  const remaining = withoutFinalizers(options.finalizers, [
    MODULE_FINALIZER,
    KYMA_GATEWAY_FINALIZER,
  ]);
  return {
    apply: [],
    delete: [
      networkPolicyReference(),
      ...(options.finalizers.includes(KYMA_GATEWAY_FINALIZER)
        ? kymaGatewayReferences(snapshot)
        : []),
      ...oathkeeperReferences(),
      ...operatorVPAReferences(snapshot),
    ],
    cr: remaining.length === 0 ? undefined : withStatus(cr, remaining, SUCCEEDED, options.now),
    state: SUCCEEDED.state,
    description: SUCCEEDED.description,
    complete: true,
    generate: [],
  };
}

/**
 * A younger CR: Warning, nothing installed, no finalizer added. While it is deleted it lets go of
 * finalizers of ours it may carry (from an operator that broke a creation-time tie differently):
 * the owner, not this CR, holds the module's infrastructure.
 */
function parked(
  cr: KubeObject,
  owner: KubeObject,
  options: { finalizers: readonly string[]; deleting: boolean; now: Date },
): APIGatewayPlan {
  const outcome = olderCRExists(stringAt(owner, "metadata", "name") ?? "");
  const finalizers = options.deleting
    ? withoutFinalizers(options.finalizers, [MODULE_FINALIZER, KYMA_GATEWAY_FINALIZER])
    : options.finalizers;
  const gone = options.deleting && finalizers.length === 0;
  return {
    apply: [],
    delete: [],
    cr: gone ? undefined : withStatus(cr, finalizers, outcome, options.now),
    state: outcome.state,
    description: outcome.description,
    complete: true,
    generate: [],
  };
}

function fromPass(
  cr: KubeObject,
  pass: PassResult,
  now: Date,
): APIGatewayPlan {
  return {
    apply: pass.apply,
    delete: pass.delete,
    cr: withStatus(cr, pass.finalizers, pass.outcome, now),
    state: pass.outcome.state,
    description: pass.outcome.description,
    complete: pass.complete,
    generate: pass.generate,
    ...(pass.recheckAfterMs === undefined ? {} : { recheckAfterMs: pass.recheckAfterMs }),
  };
}

/** The CR as the reconcile writes it: its finalizers (omitted when none) and a fresh status. */
function withStatus(
  cr: KubeObject,
  finalizers: readonly string[],
  outcome: Outcome,
  now: Date,
): KubeObject {
  const current: ObjectMeta = isRecord(cr.metadata) ? cr.metadata : {};
  const { finalizers: _previous, ...metadata } = current;
  return {
    ...cr,
    metadata: finalizers.length === 0 ? metadata : { ...metadata, finalizers: [...finalizers] },
    status: statusOf(outcome, now),
  };
}
