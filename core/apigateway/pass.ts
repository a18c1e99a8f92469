/**
 * One pass of the owner APIGateway that installs (docs/spec/apigateway.md §3 steps 2–10): NetworkPolicy,
 * dependency check, module finalizer, Kyma Gateway, Oathkeeper, operator VPA. A pass in "keep"
 * mode runs while the CR's deletion is blocked: everything installed stays in shape, no finalizer
 * is added and nothing is removed.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { Snapshot } from "../snapshot.ts";
import { valueAt } from "./_read.ts";
import {
  KYMA_GATEWAY_FINALIZER,
  MODULE_FINALIZER,
  withFinalizer,
  withoutFinalizers,
} from "./deletion.ts";
import { clusterDomain } from "./environment.ts";
import type { GeneratedSecret } from "./generated.ts";
import { kymaGatewayBlocker } from "./kyma_gateway_blockers.ts";
import { kymaGatewayObjects, kymaGatewayReferences } from "./kyma_gateway.ts";
import { networkPolicyFor, networkPolicyReference } from "./network_policy.ts";
import { oathkeeperAvailability, oathkeeperStack } from "./oathkeeper.ts";
import type { OathkeeperImages } from "./oathkeeper_deployment.ts";
import {
  dependenciesMissing,
  kymaGatewayFailed,
  oathkeeperFailed,
  oathkeeperNotStarted,
  type Outcome,
  processing,
  SUCCEEDED,
} from "./status.ts";
import { operatorVPA } from "./vpa.ts";

/** The CRDs the module cannot work without (§3 step 4), in the order they are checked. */
const REQUIRED_CRDS = ["gateways.networking.istio.io", "virtualservices.networking.istio.io"];

/** Re-check a healthy module hourly (§3 step 10); poll a starting Oathkeeper every few seconds. */
export const READY_RECHECK_MS = 3_600_000;
export const STARTING_RECHECK_MS = 5_000;

export interface PassConfig {
  images: OathkeeperImages;
  moduleVersion: string;
  /** Wait for the Oathkeeper Deployment to become available (the operator; not `render`). */
  awaitOathkeeper: boolean;
}

export interface PassResult {
  apply: KubeObject[];
  delete: KubeObject[];
  generate: GeneratedSecret[];
  finalizers: string[];
  outcome: Outcome;
  complete: boolean;
  recheckAfterMs?: number;
}

/** Runs the pass for the owner CR `name` with its current `finalizers` and `spec`. */
export function installPass(
  snapshot: Snapshot,
  cr: { name: string; spec: unknown; finalizers: readonly string[] },
  options: PassConfig & { mode: "reconcile" | "keep"; now: Date },
): PassResult {
  const result: PassResult = {
    apply: [],
    delete: [],
    generate: [],
    finalizers: [...cr.finalizers],
    outcome: SUCCEEDED,
    complete: true,
  };
  if (valueAt(cr.spec, "networkPoliciesEnabled") === true) {
    result.apply.push(networkPolicyFor(cr.name));
  } else {
    result.delete.push(networkPolicyReference());
  }
  const missing = REQUIRED_CRDS.find((crd) => !snapshot.hasCRD(crd));
  if (missing !== undefined) return stop(result, dependenciesMissing(missing));
  const reconciling = options.mode === "reconcile";
  const wantsGateway = valueAt(cr.spec, "enableKymaGateway") === true;
  if (reconciling) result.finalizers = withFinalizer(result.finalizers, MODULE_FINALIZER);
  if (reconciling && wantsGateway) {
    result.finalizers = withFinalizer(result.finalizers, KYMA_GATEWAY_FINALIZER);
  }
  // Without the finalizer the gateway was never installed (or was let go by hand): leave it be.
  if (result.finalizers.includes(KYMA_GATEWAY_FINALIZER)) {
    const removing = reconciling && !wantsGateway;
    const blocker = removing ? kymaGatewayBlocker(snapshot) : undefined;
    if (removing && blocker === undefined) {
      result.delete.push(...kymaGatewayReferences(snapshot));
      result.finalizers = withoutFinalizers(result.finalizers, [KYMA_GATEWAY_FINALIZER]);
    } else {
      // A blocked removal keeps the gateway serving and lets the pass go on; it ends in Warning.
      if (blocker !== undefined) result.outcome = blocker;
      const objects = kymaGatewayObjects(snapshot, { version: options.moduleVersion });
      if (objects.ok) {
        result.apply.push(...objects.value.apply);
        result.delete.push(...objects.value.delete);
        result.generate.push(...objects.value.generate);
      } else if (blocker === undefined) {
        return stop(result, kymaGatewayFailed(objects.error));
      }
    }
  }
  oathkeeperStep(result, snapshot, options);
  result.apply.push(...operatorVPA(snapshot));
  if (result.outcome !== SUCCEEDED) result.complete = false;
  else result.recheckAfterMs = READY_RECHECK_MS;
  return result;
}

function oathkeeperStep(
  result: PassResult,
  snapshot: Snapshot,
  options: PassConfig & { now: Date },
): void {
  const stack = oathkeeperStack(snapshot, {
    images: options.images,
    domain: clusterDomain(snapshot),
  });
  const unset = unsetImage(options.images);
  // Like upstream, the other objects are applied even when the Deployment cannot be built.
  result.apply.push(...stack.apply.filter((o) => unset === undefined || o.kind !== "Deployment"));
  result.delete.push(...stack.delete);
  result.generate.push(...stack.generate);
  if (result.outcome !== SUCCEEDED) return;
  if (unset !== undefined) {
    result.outcome = oathkeeperFailed(
      `failed to get images from environment variables: environment variable '${unset}' is not set`,
    );
    return;
  }
  if (!options.awaitOathkeeper) return;
  const availability = oathkeeperAvailability(snapshot, options.now);
  if (availability.status === "Failed") result.outcome = oathkeeperNotStarted(availability.detail);
  if (availability.status === "Starting") {
    result.outcome = processing(availability.detail);
    result.recheckAfterMs = STARTING_RECHECK_MS;
  }
}

/** The operator's variable name of the first unset image, if any (docs/spec/operator-config.md §1.2). */
function unsetImage(images: OathkeeperImages): string | undefined {
  if (images.oathkeeper.trim() === "") return "oathkeeper";
  if (images.maester.trim() === "") return "oathkeeper-maester";
  if (images.busybox.trim() === "") return "busybox";
  return undefined;
}

function stop(result: PassResult, outcome: Outcome): PassResult {
  return { ...result, outcome, complete: false };
}
