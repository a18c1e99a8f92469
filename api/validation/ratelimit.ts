/**
 * The validation of a RateLimit (docs/spec/ratelimit.md §3): bucket fill intervals, then the Pods its
 * selector picks (some must exist, no other RateLimit may pick them, all need sidecars unless
 * they are ingress gateway Pods). The first failure wins, as in upstream's status.
 */
import { RateLimitSpec } from "../ratelimit/v1alpha1.ts";
import type { PodFact, RateLimitFact, ValidationFacts } from "./facts.ts";
import { type Checked, failed, type Failure, passed, skipped } from "./failure.ts";
import { conforms, isRecord, objectKey } from "./_guards.ts";
import { byName, podsIn, podsUnknownNote, selects } from "./_lookup.ts";
import {
  descriptorFailure,
  duplicateFailure,
  fillFailure,
  interval,
  MIN_FILL_INTERVAL,
  tokenFailure,
} from "./_ratelimit_buckets.ts";
import { globalFailure } from "./ratelimit_global.ts";

const SIDECAR_STATUS = "sidecar.istio.io/status";

/** The first failure of a RateLimit (as `{attributePath, message}`), or none. */
export function validateRateLimit(rateLimit: unknown, facts: ValidationFacts): Checked {
  const { name, namespace } = objectKey(rateLimit);
  const spec = isRecord(rateLimit) ? rateLimit.spec : undefined;
  if (!conforms(RateLimitSpec, spec)) return passed();
  const bucket = bucketFailure(spec) ?? globalFailure(spec);
  if (bucket !== undefined) return failed(bucket);
  return podFailures({ name, namespace, selectorLabels: spec.selectorLabels }, facts);
}

/** The status description of a failed validation (docs/spec/ratelimit.md §2 step 5). */
export function describeRateLimitFailure(failure: Failure): string {
  return `failed to validate RateLimit: ${failure.message}`;
}

/**
 * Step 1 of §3 in upstream's order (default bucket, then each bucket: duration, 50ms, multiple),
 * then what apigw adds because Envoy rejects the filter (NACK) while the CR shows Ready, or the
 * controller cannot read the duration: token counts, empty and duplicate descriptors, paths
 * without `/`, bad header names. Same texts and order as the planner (`core/ratelimit/buckets.ts`).
 */
function bucketFailure(spec: RateLimitSpec): Failure | undefined {
  const base = "spec.local";
  const buckets = spec.local.buckets ?? [];
  const where = (i: number) => `bucket '[${i}]'`;
  const at = (i: number) => `${base}.buckets[${i}]`;
  const defaultInterval = interval(
    "defaultBucket",
    `${base}.defaultBucket`,
    spec.local.defaultBucket.fillInterval,
  );
  if ("failure" in defaultInterval) return defaultInterval.failure;
  const baseNs = defaultInterval.value;
  if (baseNs < MIN_FILL_INTERVAL) {
    return fillFailure(
      `${base}.defaultBucket`,
      "defaultBucket: fillInterval must be greater or equal 50ms",
    );
  }
  for (const [i, config] of buckets.entries()) {
    const path = `${at(i)}.bucket`;
    const parsed = interval(where(i), path, config.bucket.fillInterval);
    if ("failure" in parsed) return parsed.failure;
    if (parsed.value < MIN_FILL_INTERVAL) {
      return fillFailure(path, `${where(i)}: fillInterval must be greater or equal 50ms`);
    }
    if (parsed.value % baseNs !== 0n) {
      return fillFailure(
        path,
        `${where(i)}: fillInterval must be a multiple of defaultBucket fillInterval`,
      );
    }
  }
  return tokenFailure("defaultBucket", `${base}.defaultBucket`, spec.local.defaultBucket) ??
    buckets.map((config, i) => descriptorFailure(where(i), at(i), config)).find((f) => f) ??
    duplicateFailure(buckets, at);
}

/** Steps 2–5 of §3, over the Pods of the RateLimit's namespace. */
function podFailures(rateLimit: RateLimitFact, facts: ValidationFacts): Checked {
  const pods = podsIn(facts, rateLimit.namespace);
  if (pods === undefined) return skipped(podsUnknownNote("Pod checks", rateLimit.namespace));
  const path = "spec.selectorLabels";
  const matched = pods.filter((pod) => selects(rateLimit.selectorLabels, pod.labels));
  if (matched.length === 0) {
    return failed({
      attributePath: path,
      message: `no pods found with the given selectors: ${
        goMap(rateLimit.selectorLabels)
      } in namespace ${rateLimit.namespace}`,
    });
  }
  const conflicts = conflicting(rateLimit, matched, pods, facts.rateLimits);
  if (conflicts === undefined) {
    return skipped("RateLimit conflict checks skipped: no RateLimits given");
  }
  if (conflicts.length > 0) {
    return failed({
      attributePath: path,
      message: `conflicting with the following RateLimit CRs: ${conflicts.join(", ")}`,
    });
  }
  if (matched.every((pod) => pod.labels["istio"] === "ingressgateway")) return passed();
  const uninjected = matched.filter((pod) => pod.annotations[SIDECAR_STATUS] === undefined);
  if (uninjected.length > 0) {
    return failed({
      attributePath: path,
      message: `sidecar injection is not enabled for the following pods: ${
        [...uninjected].sort(byName).map((p) => `${p.namespace}/${p.name}`).join(", ")
      }`,
    });
  }
  return passed();
}

/** The other RateLimits of the namespace that select one of the same Pods, sorted by name. */
function conflicting(
  rateLimit: RateLimitFact,
  matched: readonly PodFact[],
  pods: readonly PodFact[],
  rateLimits: readonly RateLimitFact[] | undefined,
): string[] | undefined {
  if (rateLimits === undefined) return undefined;
  const names = new Set(matched.map((p) => p.name));
  return rateLimits
    .filter((other) => other.namespace === rateLimit.namespace && other.name !== rateLimit.name)
    .filter((other) =>
      pods.some((pod) => names.has(pod.name) && selects(other.selectorLabels, pod.labels))
    )
    .map((other) => other.name)
    .sort();
}

/** Go's `%v` of a `map[string]string`: `map[a:1 b:2]`, keys sorted. */
export function goMap(map: Readonly<Record<string, string>>): string {
  const keys = Object.keys(map).sort();
  return `map[${keys.map((k) => `${k}:${map[k]}`).join(" ")}]`;
}
