/**
 * Validation of a RateLimit against the cluster (docs/spec/ratelimit.md §3), first failure wins: the checks
 * themselves are the shared ones of `api/validation/ratelimit.ts` (so `validate` and the
 * reconcile report the same texts); this module adds what the planner needs from a valid
 * RateLimit: its parsed buckets and whether it selects ingress gateway pods.
 */
import type { KubeObject } from "../../api/meta.ts";
import { validateRateLimit as checkRateLimit } from "../../api/validation/ratelimit.ts";
import { err, ok, type Result } from "../result.ts";
import type { Snapshot } from "../snapshot.ts";
import { factsOf } from "../facts.ts";
import { stringMap } from "./_json.ts";
import { checkBuckets, type Limits } from "./buckets.ts";
import type { RateLimitModel } from "./rate_limit.ts";

export const RATELIMIT_GROUP = "gateway.kyma-project.io";

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
  const object = {
    metadata: { name: rateLimit.name, namespace: rateLimit.namespace },
    spec: {
      selectorLabels: rateLimit.selectorLabels,
      local: { defaultBucket: rateLimit.defaultBucket, buckets: rateLimit.buckets },
      ...(rateLimit.global !== undefined ? { global: rateLimit.global } : {}),
    },
  };
  const [failure] = checkRateLimit(object, factsOf(snapshot)).failures;
  if (failure !== undefined) {
    // Bucket checks depend on the CR alone; the pod and conflict checks on other objects.
    return err({
      message: failure.message,
      retry: !/^spec\.(local|global)/.test(failure.attributePath),
    });
  }
  const limits = checkBuckets(rateLimit.defaultBucket, rateLimit.buckets);
  if (!limits.ok) return err({ message: limits.error, retry: false });
  const pods = selectedPods(snapshot, rateLimit.namespace, rateLimit.selectorLabels);
  const ingressGateway = pods.every((pod) =>
    stringMap(pod.metadata.labels).istio === "ingressgateway"
  );
  return ok({ limits: limits.value, ingressGateway });
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
