/**
 * Validation of a RateLimit against the cluster (ratelimit.md §3), in the spec's order, first
 * failure wins: the buckets (`buckets.ts`), matching pods, conflicts with other RateLimits, the
 * ingress gateway short-cut, sidecar injection. Names in messages are sorted ([tightened]).
 */
import type { KubeObject } from "../../api/meta.ts";
import { err, ok, type Result } from "../result.ts";
import type { Snapshot } from "../snapshot.ts";
import { compareNames, isRecord, stringMap } from "./_json.ts";
import { checkBuckets, type Limits } from "./buckets.ts";
import type { RateLimitModel } from "./rate_limit.ts";

export const RATELIMIT_GROUP = "gateway.kyma-project.io";
const SIDECAR_STATUS_ANNOTATION = "sidecar.istio.io/status";

export interface Validated {
  limits: Limits;
  /** Every selected pod is an Istio ingress gateway (label `istio: ingressgateway`). */
  ingressGateway: boolean;
}

export interface ValidationFailure {
  /** The `<validation message>` of §3, without the `failed to validate RateLimit: ` prefix. */
  message: string;
  /** True when the outcome depends on other objects (pods, RateLimits), so a retry may pass. */
  retry: boolean;
}

/** Validates a parsed RateLimit against the snapshot. */
export function validateRateLimit(
  rateLimit: RateLimitModel,
  snapshot: Snapshot,
): Result<Validated, ValidationFailure> {
  const limits = checkBuckets(rateLimit.defaultBucket, rateLimit.buckets);
  if (!limits.ok) return err({ message: limits.error, retry: false });
  const { namespace, selectorLabels } = rateLimit;
  const pods = selectedPods(snapshot, namespace, selectorLabels);
  if (pods.length === 0) {
    return err({
      message: `no pods found with the given selectors: ${
        goMap(selectorLabels)
      } in namespace ${namespace}`,
      retry: true,
    });
  }
  const conflicts = conflictingRateLimits(rateLimit, pods, snapshot);
  if (conflicts.length > 0) {
    return err({
      message: `conflicting with the following RateLimit CRs: ${conflicts.join(", ")}`,
      retry: true,
    });
  }
  // Gateway pods carry no sidecar annotation (§3 step 4).
  const ingressGateway = pods.every(isIngressGateway);
  const missing = ingressGateway ? [] : pods.filter((pod) => !hasSidecar(pod));
  if (missing.length > 0) {
    const names = missing.map((pod) => `${namespace}/${pod.metadata.name ?? ""}`);
    return err({
      message: `sidecar injection is not enabled for the following pods: ${
        names.sort(compareNames).join(", ")
      }`,
      retry: true,
    });
  }
  return ok({ limits: limits.value, ingressGateway });
}

function isIngressGateway(pod: KubeObject): boolean {
  return stringMap(pod.metadata.labels).istio === "ingressgateway";
}

function hasSidecar(pod: KubeObject): boolean {
  return SIDECAR_STATUS_ANNOTATION in stringMap(pod.metadata.annotations);
}

/** Pods of the namespace whose labels hold every selector pair; an empty selector selects none. */
function selectedPods(
  snapshot: Snapshot,
  namespace: string,
  selector: Readonly<Record<string, string>>,
): KubeObject[] {
  const pairs = Object.entries(selector);
  if (pairs.length === 0) return [];
  return snapshot.list("", "Pod", namespace).filter((pod) => {
    const labels = stringMap(pod.metadata.labels);
    return pairs.every(([key, value]) => labels[key] === value);
  });
}

/** Names of the other RateLimits of the namespace that select a pod of the same name. */
function conflictingRateLimits(
  rateLimit: RateLimitModel,
  pods: readonly KubeObject[],
  snapshot: Snapshot,
): string[] {
  const podNames = new Set(pods.map((pod) => pod.metadata.name));
  return snapshot.list(RATELIMIT_GROUP, "RateLimit", rateLimit.namespace)
    .filter((other) => other.metadata.name !== rateLimit.name)
    .filter((other) => {
      const selector = stringMap(isRecord(other.spec) ? other.spec.selectorLabels : undefined);
      return selectedPods(snapshot, rateLimit.namespace, selector)
        .some((pod) => podNames.has(pod.metadata.name));
    })
    .map((other) => other.metadata.name ?? "")
    .sort(compareNames);
}

/** A map as Go's `%v` prints it: `map[a:1 b:2]`, keys sorted. */
export function goMap(map: Readonly<Record<string, string>>): string {
  const keys = Object.keys(map).sort(compareNames);
  return `map[${keys.map((key) => `${key}:${map[key]}`).join(" ")}]`;
}
