/**
 * The APIGateway status vocabulary (docs/spec/apigateway.md §4): one `state`, one `description` and exactly
 * one condition of type `Ready` whose reason names the step that decided the outcome. Texts are
 * upstream's, verbatim (spec README decision 6); details are only ever appended.
 */
import type { APIGatewayStatus } from "../../api/apigateway/v1alpha1.ts";
import type { CRState } from "../plan.ts";

export type Reason =
  | "ReconcileProcessing"
  | "ReconcileSucceeded"
  | "ReconcileFailed"
  | "OlderCRExists"
  | "DependenciesMissing"
  | "KymaGatewayReconcileFailed"
  | "KymaGatewayDeletionBlocked"
  | "OathkeeperReconcileFailed"
  | "DeletionBlockedExistingResources";

/** What one reconcile concluded, before it becomes a status. */
export interface Outcome {
  state: CRState;
  description: string;
  reason: Reason;
  message: string;
}

const LOGS_HINT =
  "Please take a look at kyma-system/api-gateway-controller-manager logs to see more information about the warning";

export const SUCCEEDED: Outcome = {
  state: "Ready",
  description: "Successfully reconciled",
  reason: "ReconcileSucceeded",
  message: "Reconciliation succeeded",
};

/** §2: a younger CR is parked. */
export function olderCRExists(owner: string): Outcome {
  return {
    state: "Warning",
    description:
      `stopped APIGateway CR reconciliation: only APIGateway CR ${owner} reconciles the module`,
    reason: "OlderCRExists",
    message: "API Gateway CR is not the oldest one and does not represent the module state",
  };
}

/** §3 step 4: a required Istio CRD is missing. */
export function dependenciesMissing(crd: string): Outcome {
  return {
    state: "Error",
    description:
      `CRD ${crd} is not present. Make sure to install required dependencies for the component`,
    reason: "DependenciesMissing",
    message: "Module dependencies missing",
  };
}

/** The user-facing name of each kind that blocks the CR's deletion (§5.1). */
export type BlockingKind = "APIRule" | "Rule" | "RateLimit";

const BLOCKING_KIND_TEXT: Record<BlockingKind, string> = {
  APIRule: "APIRule(s)",
  Rule: "ORY Oathkeeper Rule(s)",
  RateLimit: "RateLimit(s)",
};

/** §5.1: user resources block the CR's deletion; `objects` are `namespace/name`. */
export function deletionBlocked(kind: BlockingKind, objects: readonly string[]): Outcome {
  return {
    state: "Warning",
    description: `There are ${
      BLOCKING_KIND_TEXT[kind]
    } that block the deletion of API-Gateway CR. ${LOGS_HINT}`,
    reason: "DeletionBlockedExistingResources",
    message: `API Gateway deletion blocked because of the existing custom resources: ${
      objects.join(", ")
    }`,
  };
}

/** §7.7: objects that use the Kyma Gateway block its removal; `names` are object names. */
export function kymaGatewayDeletionBlocked(names: readonly string[]): Outcome {
  return {
    state: "Warning",
    description: `There are custom resources that block the deletion of Kyma Gateway. ${LOGS_HINT}`,
    reason: "KymaGatewayDeletionBlocked",
    message: `Kyma Gateway deletion blocked because of the existing custom resources: ${
      names.join(", ")
    }`,
  };
}

/** §7: a Kyma Gateway object cannot be built (e.g. the ingress has no address yet). */
export function kymaGatewayFailed(detail: string): Outcome {
  return {
    state: "Error",
    description: `Error during Kyma Gateway reconciliation: ${detail}`,
    reason: "KymaGatewayReconcileFailed",
    message: "Kyma Gateway reconciliation failed",
  };
}

/** §8.3: an Oathkeeper object could not be built. */
export function oathkeeperFailed(detail: string): Outcome {
  return {
    state: "Error",
    description: `Oathkeeper did not reconcile successfully: ${detail}`,
    reason: "OathkeeperReconcileFailed",
    message: "Ory Oathkeeper reconciliation failed",
  };
}

/** §8.3: the Oathkeeper Deployment did not become available in time. */
export function oathkeeperNotStarted(detail: string): Outcome {
  return {
    state: "Error",
    description: `Oathkeeper did not start successfully: ${detail}`,
    reason: "OathkeeperReconcileFailed",
    message: "Ory Oathkeeper reconciliation failed",
  };
}

/** §3 step 3: the pass is still waiting for something (upstream leaves the description empty). */
export function processing(detail: string): Outcome {
  return {
    state: "Processing",
    description: detail,
    reason: "ReconcileProcessing",
    message: "Reconcile processing",
  };
}

/**
 * The status a reconcile writes: it replaces the whole status (§1.2), so the condition's
 * `lastTransitionTime` is the reconcile time, in RFC 3339 with seconds precision.
 */
export function statusOf(outcome: Outcome, now: Date): APIGatewayStatus {
  return {
    state: outcome.state,
    description: outcome.description,
    conditions: [{
      type: "Ready",
      status: conditionStatus(outcome.reason),
      reason: outcome.reason,
      message: outcome.message,
      lastTransitionTime: rfc3339Seconds(now),
    }],
  };
}

function conditionStatus(reason: Reason): "True" | "False" | "Unknown" {
  if (reason === "ReconcileSucceeded") return "True";
  return reason === "ReconcileProcessing" ? "Unknown" : "False";
}

function rfc3339Seconds(now: Date): string {
  const ms = now.getTime();
  if (Number.isNaN(ms)) return "1970-01-01T00:00:00Z";
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
