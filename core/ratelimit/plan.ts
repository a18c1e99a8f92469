/**
 * The RateLimit planner (docs/spec/ratelimit.md §2): parse the CR, check the EnvoyFilter CRD and the owner
 * APIGateway, validate against the cluster (§3), then want one EnvoyFilter (§4) and `Ready`.
 * The first failing step decides the status. A failing reconcile writes nothing else: an
 * EnvoyFilter from an earlier, valid spec stays in place and keeps limiting (upstream behaviour,
 * kept on purpose: pods vanishing during a rollout, an APIGateway upgrade or someone else's
 * conflicting RateLimit must not silently drop a working limit).
 */
import type { KubeObject } from "../../api/meta.ts";
import { APIGATEWAY_V1ALPHA1 } from "../../api/kinds.ts";
import type { CRState, Plan, PlanOptions } from "../plan.ts";
import { groupOf, type Snapshot } from "../snapshot.ts";
import { isRecord } from "./_json.ts";
import { ENVOY_FILTER_API_VERSION, envoyFilterFor, patchContext } from "./envoy_filter.ts";
import { globalPolicyFor } from "./global_policy.ts";
import { apigwProviderOf } from "../apirule/config.ts";
import { oldestAPIGateway, stateOf } from "./owner.ts";
import { parseRateLimit } from "./rate_limit.ts";
import { RATELIMIT_GROUP, validateRateLimit } from "./validate.ts";

/** A Ready RateLimit is checked again this often: pods and APIGateways are not watched. */
export const RECHECK_AFTER_MS = 3 * 60 * 1000;

const ENVOY_FILTER_CRD = "envoyfilters.networking.istio.io";
const ISTIO_NETWORKING = groupOf(ENVOY_FILTER_API_VERSION);

/** Plans the reconcile of one RateLimit. Pure and total: never throws. */
export function planRateLimit(cr: KubeObject, snapshot: Snapshot, _options: PlanOptions): Plan {
  const finalizers: unknown = cr.metadata.finalizers;
  const held = Array.isArray(finalizers) && finalizers.length > 0;
  if (cr.metadata.deletionTimestamp !== undefined && !held) return gone(cr, snapshot);
  const parsed = parseRateLimit(cr);
  if (!parsed.ok) return stop(cr, "Error", parsed.error, { retry: false });
  const rateLimit = parsed.value;
  if (!snapshot.hasCRD(ENVOY_FILTER_CRD)) {
    const notFound =
      `customresourcedefinitions.apiextensions.k8s.io "${ENVOY_FILTER_CRD}" not found`;
    return stop(cr, "Error", `dependency missing '${ENVOY_FILTER_CRD}': ${notFound}`, {
      retry: true,
    });
  }
  const owner = oldestAPIGateway(snapshot.list(groupOf(APIGATEWAY_V1ALPHA1), "APIGateway"));
  if (owner === undefined) {
    return stop(
      cr,
      "Warning",
      "failed to reconcile RateLimit CR because of missing APIGateway CR in the cluster",
      { retry: true },
    );
  }
  if (stateOf(owner) !== "Ready") {
    return stop(
      cr,
      "Warning",
      `failed to create RateLimit CR because APIGateway CR is in ${stateOf(owner)} state`,
      { retry: true },
    );
  }
  const validated = validateRateLimit(rateLimit, snapshot);
  if (!validated.ok) {
    const { message, retry } = validated.error;
    return stop(cr, "Error", `failed to validate RateLimit: ${message}`, { retry });
  }
  const existing = snapshot.get(
    ISTIO_NETWORKING,
    "EnvoyFilter",
    rateLimit.namespace,
    rateLimit.name,
  );
  const controller = existing === undefined
    ? undefined
    : foreignController(existing, rateLimit.name);
  if (controller !== undefined) {
    const taken = `Object ${rateLimit.namespace}/${rateLimit.name} is already owned by another ` +
      `${controller.kind} controller ${controller.name}`;
    return stop(cr, "Error", `failed to create EnvoyFilter: ${taken}`, { retry: true });
  }
  const filter = envoyFilterFor(rateLimit, validated.value.limits, {
    context: patchContext(rateLimit.selectorLabels, validated.value),
  });
  // spec.global (apigw): a CUSTOM policy sends the workload's requests to `apigw authz`; one
  // left from an earlier spec with a global section is ours to delete.
  const policy = existingGlobalPolicy(snapshot, rateLimit.namespace, rateLimit.name);
  return {
    apply: rateLimit.global !== undefined
      ? [filter, globalPolicyFor(rateLimit, { provider: apigwProviderOf(snapshot) })]
      : [filter],
    delete: rateLimit.global === undefined && policy !== undefined ? [policy] : [],
    cr: withStatus(cr, "Ready", "Finished reconciliation"),
    state: "Ready",
    description: "Finished reconciliation",
    complete: true,
  };
}

/**
 * A failed step: the status, nothing applied or deleted. `retry` says whether the outcome depends
 * on other objects (the operator requeues) or on the CR alone (a CR edit triggers the next run).
 */
function stop(
  cr: KubeObject,
  state: CRState,
  description: string,
  options: { retry: boolean },
): Plan {
  return {
    apply: [],
    delete: [],
    cr: withStatus(cr, state, description),
    state,
    description,
    complete: !options.retry,
  };
}

// Deleted without finalizers of anyone's: the CR is gone and garbage collection removes the
// EnvoyFilter through its owner reference; the plan says so, so render shows neither.
function gone(cr: KubeObject, snapshot: Snapshot): Plan {
  const name = cr.metadata.name ?? "";
  const existing = snapshot.get(ISTIO_NETWORKING, "EnvoyFilter", cr.metadata.namespace ?? "", name);
  const owned = existing !== undefined && isRateLimit(controllerOf(existing), name);
  const policy = existingGlobalPolicy(snapshot, cr.metadata.namespace ?? "", name);
  return {
    apply: [],
    delete: [...(owned ? [existing] : []), ...(policy !== undefined ? [policy] : [])],
    cr: undefined,
    state: "Deleting",
    description: "",
    complete: true,
  };
}

/** The AuthorizationPolicy of the RateLimit's name when the RateLimit controls it. */
function existingGlobalPolicy(
  snapshot: Snapshot,
  namespace: string,
  name: string,
): KubeObject | undefined {
  const policy = snapshot.get("security.istio.io", "AuthorizationPolicy", namespace, name);
  return policy !== undefined && isRateLimit(controllerOf(policy), name) ? policy : undefined;
}

function withStatus(cr: KubeObject, state: CRState, description: string): KubeObject {
  return { ...cr, status: { state, description } };
}

interface Controller {
  group: string;
  kind: string;
  name: string;
}

/** The object's controller reference, if any. */
function controllerOf(object: KubeObject): Controller | undefined {
  const references: unknown = object.metadata.ownerReferences;
  if (!Array.isArray(references)) return undefined;
  for (const reference of references) {
    if (!isRecord(reference) || reference.controller !== true) continue;
    const { apiVersion, kind, name } = reference;
    if (typeof apiVersion !== "string" || typeof kind !== "string" || typeof name !== "string") {
      continue;
    }
    return { group: groupOf(apiVersion), kind, name };
  }
  return undefined;
}

/**
 * The controller of an existing EnvoyFilter when it is not this RateLimit. Like
 * controller-runtime's `SetControllerReference`, owners compare by group, kind and name.
 */
function foreignController(filter: KubeObject, name: string): Controller | undefined {
  const controller = controllerOf(filter);
  return controller === undefined || isRateLimit(controller, name) ? undefined : controller;
}

function isRateLimit(controller: Controller | undefined, name: string): boolean {
  return controller?.group === RATELIMIT_GROUP && controller.kind === "RateLimit" &&
    controller.name === name;
}
