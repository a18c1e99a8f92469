/**
 * The validation of a RateLimit (ratelimit.md §3): bucket fill intervals, then the Pods its
 * selector picks (some must exist, no other RateLimit may pick them, all need sidecars unless
 * they are ingress gateway Pods). The first failure wins, as in upstream's status.
 */
import { type BucketConfig, type BucketSpec, RateLimitSpec } from "../ratelimit/v1alpha1.ts";
import type { PodFact, RateLimitFact, ValidationFacts } from "./facts.ts";
import { type Checked, failed, type Failure, passed, skipped } from "./failure.ts";
import { conforms, isRecord, objectKey } from "./_guards.ts";
import { byName, podsIn, podsUnknownNote, selects } from "./_lookup.ts";
import { parseGoDuration } from "../duration.ts";
import { globalFailure } from "./ratelimit_global.ts";

export const MIN_FILL_INTERVAL = 50_000_000n; // 50ms: Envoy's minimum for a local rate limit bucket
const MAX_TOKENS = 4_294_967_295; // Envoy's token counts are uint32, and must be > 0
const SIDECAR_STATUS = "sidecar.istio.io/status";
/** RFC 9110 `token`; a leading `:` names an HTTP/2 pseudo header such as `:authority`. */
export const HEADER_NAME = /^:?[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const TOKEN_FIELDS: readonly ("maxTokens" | "tokensPerFill")[] = ["maxTokens", "tokensPerFill"];

/** The first failure of a RateLimit (as `{attributePath, message}`), or none. */
export function validateRateLimit(rateLimit: unknown, facts: ValidationFacts): Checked {
  const { name, namespace } = objectKey(rateLimit);
  const spec = isRecord(rateLimit) ? rateLimit.spec : undefined;
  if (!conforms(RateLimitSpec, spec)) return passed();
  const bucket = bucketFailure(spec) ?? globalFailure(spec);
  if (bucket !== undefined) return failed(bucket);
  return podFailures({ name, namespace, selectorLabels: spec.selectorLabels }, facts);
}

/** The status description of a failed validation (ratelimit.md §2 step 5). */
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

export function interval(
  label: string,
  path: string,
  text: string,
): { value: bigint } | { failure: Failure } {
  const parsed = parseGoDuration(text);
  return parsed.ok ? { value: parsed.value } : {
    failure: fillFailure(
      path,
      `${label}: fillInterval ${JSON.stringify(text)} is invalid: ${parsed.error}`,
    ),
  };
}

export function fillFailure(bucketPath: string, message: string): Failure {
  return { attributePath: `${bucketPath}.fillInterval`, message };
}

export function tokenFailure(label: string, path: string, bucket: BucketSpec): Failure | undefined {
  for (const field of TOKEN_FIELDS) {
    const value = bucket[field];
    if (value < 1 || value > MAX_TOKENS) {
      return {
        attributePath: `${path}.${field}`,
        message: `${label}: ${field} must be between 1 and ${MAX_TOKENS} (got ${value})`,
      };
    }
  }
  return undefined;
}

export function descriptorFailure(
  label: string,
  path: string,
  config: BucketConfig,
): Failure | undefined {
  const tokens = tokenFailure(label, `${path}.bucket`, config.bucket);
  if (tokens !== undefined) return tokens;
  const { path: match, headers = {} } = config;
  if (entriesOf(config).length === 0) {
    return { attributePath: path, message: `${label}: path and headers must not both be empty` };
  }
  if (match !== undefined && match !== "" && !match.startsWith("/")) {
    return {
      attributePath: `${path}.path`,
      message: `${label}: path ${JSON.stringify(match)} must start with '/'`,
    };
  }
  const badName = Object.keys(headers).find((name) => !HEADER_NAME.test(name));
  if (badName !== undefined) {
    return {
      attributePath: `${path}.headers`,
      message: `${label}: header name ${JSON.stringify(badName)} is not a valid HTTP header name`,
    };
  }
  if (match !== undefined && match !== "" && "path" in headers) {
    return {
      attributePath: `${path}.headers`,
      message:
        `${label}: header "path" and the path field both match the request path; set only one`,
    };
  }
  return undefined;
}

// Envoy rejects a LocalRateLimit whose descriptors repeat ("duplicate descriptor").
export function duplicateFailure(
  buckets: readonly BucketConfig[],
  at: (i: number) => string,
  label = "bucket",
): Failure | undefined {
  const seen = new Map<string, number>();
  for (const [i, config] of buckets.entries()) {
    const key = JSON.stringify(entriesOf(config));
    const first = seen.get(key);
    if (first !== undefined) {
      return {
        attributePath: at(i),
        message: `${label} '[${i}]': path and headers are the same as in ${label} '[${first}]'`,
      };
    }
    seen.set(key, i);
  }
  return undefined;
}

/** The descriptor entries of a bucket (ratelimit.md §4.4): the path, then headers by name. */
function entriesOf(config: BucketConfig): Array<[string, string]> {
  const headers = Object.entries(config.headers ?? {}).sort((
    [a],
    [b],
  ) => (a < b ? -1 : a > b ? 1 : 0));
  return [...(config.path ? [["path", config.path] satisfies [string, string]] : []), ...headers];
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
