/**
 * The checks of `spec.global` (apigw): the bucket checks of `spec.local` that keep a global
 * bucket meaning what a local one means (DP-RL-2: fill intervals of at least 50ms, token counts,
 * matches that can match), without Envoy's multiple-of-default rule, which only Envoy's filter
 * needs; then what the algorithm and the key need. The first failure wins, after `spec.local`'s.
 */
import type { RateLimitSpec } from "../ratelimit/v1alpha1.ts";
import type { Failure } from "./failure.ts";
import {
  descriptorFailure,
  duplicateFailure,
  fillFailure,
  HEADER_NAME,
  interval,
  MIN_FILL_INTERVAL,
  tokenFailure,
} from "./_ratelimit_buckets.ts";

const SECOND = 1_000_000_000n;
/** A claim name, or a dotted path into nested claims (`org.tenant`); no whitespace or quotes. */
const CLAIM_NAME = /^[A-Za-z0-9_:\-/]+(\.[A-Za-z0-9_:\-/]+)*$/;

/** The first failure of `spec.global`, or none (also when there is no `spec.global`). */
export function globalFailure(spec: RateLimitSpec): Failure | undefined {
  const global = spec.global;
  if (global === undefined) return undefined;
  const base = "spec.global";
  const buckets = global.buckets ?? [];
  const where = (i: number) => `global bucket '[${i}]'`;
  const at = (i: number) => `${base}.buckets[${i}]`;
  const fixedWindow = global.algorithm === "fixedWindow";
  const labelled = [
    { label: "global.defaultBucket", path: `${base}.defaultBucket` },
    ...buckets.map((_, i) => ({ label: where(i), path: `${at(i)}.bucket` })),
  ];
  const specs = [global.defaultBucket, ...buckets.map((b) => b.bucket)];
  for (const [i, { label, path }] of labelled.entries()) {
    const parsed = interval(label, path, specs[i]!.fillInterval);
    if ("failure" in parsed) return parsed.failure;
    if (parsed.value < MIN_FILL_INTERVAL) {
      return fillFailure(path, `${label}: fillInterval must be greater or equal 50ms`);
    }
    // rate-limiter-flexible counts windows in whole seconds.
    if (fixedWindow && parsed.value % SECOND !== 0n) {
      return fillFailure(
        path,
        `${label}: fillInterval must be a whole number of seconds for algorithm fixedWindow`,
      );
    }
  }
  return tokenFailure("global.defaultBucket", `${base}.defaultBucket`, global.defaultBucket) ??
    buckets.map((config, i) => descriptorFailure(where(i), at(i), config)).find((f) => f) ??
    duplicateFailure(buckets, at, "global bucket") ??
    keyFailure(global.key, `${base}.key`);
}

function keyFailure(
  key: NonNullable<RateLimitSpec["global"]>["key"],
  path: string,
): Failure | undefined {
  if (key.header !== undefined && !HEADER_NAME.test(key.header.name)) {
    return {
      attributePath: `${path}.header.name`,
      message: `global.key: header name ${
        JSON.stringify(key.header.name)
      } is not a valid HTTP header name`,
    };
  }
  if (key.claim !== undefined && !CLAIM_NAME.test(key.claim.name)) {
    return {
      attributePath: `${path}.claim.name`,
      message: `global.key: claim name ${
        JSON.stringify(key.claim.name)
      } must be a claim name or a dotted path of claim names`,
    };
  }
  return undefined;
}
