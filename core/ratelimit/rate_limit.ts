/**
 * The RateLimit as the planner reads it (docs/spec/ratelimit.md §1): checked against the CRD schema (types,
 * required fields, the bucket CEL rule), then read into a plain model with the schema default
 * (`enforce: true`) applied. Problems read as the apiserver would print them.
 */
import type { KubeObject } from "../../api/meta.ts";
import { RATELIMIT_V1ALPHA1 } from "../../api/kinds.ts";
import {
  type BucketConfig,
  type BucketSpec,
  GlobalSpec,
  RateLimit,
} from "../../api/ratelimit/v1alpha1.ts";
import { conforms } from "../../api/validation/_guards.ts";
import { formatProblem, type Problem } from "../../api/schema/problem.ts";
import { validateSchema } from "../../api/schema/validate.ts";
import { err, ok, type Result } from "../result.ts";
import { isRecord, stringMap } from "./_json.ts";

export interface RateLimitModel {
  name: string;
  namespace: string;
  /** Absent in offline input; the owner reference then goes without it. */
  uid?: string;
  selectorLabels: Record<string, string>;
  defaultBucket: BucketSpec;
  buckets: BucketConfig[];
  enforce: boolean;
  enableResponseHeaders: boolean;
  /** `spec.global` as written (defaults are applied where it is enforced). */
  global?: GlobalSpec;
}

/**
 * Reads a RateLimit, or says why it cannot be stored, in the apiserver's words:
 * `RateLimit.gateway.kyma-project.io "x" is invalid: spec.local.buckets[0]: Invalid value: …`.
 * Unknown fields are not problems (the apiserver prunes them).
 */
export function parseRateLimit(cr: KubeObject): Result<RateLimitModel, string> {
  const name = typeof cr.metadata.name === "string" ? cr.metadata.name : "";
  const problems = [
    ...identityProblems(cr),
    ...validateSchema(RateLimit, cr).filter((p) => p.type !== "Unknown"),
  ];
  const model = problems.length === 0 ? readModel(cr) : undefined;
  if (model !== undefined) return ok(model);
  if (problems.length === 0) {
    // The schema accepted what readModel cannot read: a gap between the two, reported, not thrown.
    problems.push({ path: "spec", type: "Invalid", detail: "Invalid value: cannot be read" });
  }
  const list = problems.map(formatProblem);
  const text = list.length === 1 ? list[0] : `[${list.join(", ")}]`;
  return err(`RateLimit.gateway.kyma-project.io ${JSON.stringify(name)} is invalid: ${text}`);
}

function identityProblems(cr: KubeObject): Problem[] {
  const problems: Problem[] = [];
  if (cr.apiVersion !== RATELIMIT_V1ALPHA1) {
    problems.push({
      path: "apiVersion",
      type: "Unsupported",
      detail: `Unsupported value: ${
        JSON.stringify(cr.apiVersion)
      }: supported values: "${RATELIMIT_V1ALPHA1}"`,
    });
  }
  for (const field of ["name", "namespace"] as const) {
    const value: unknown = cr.metadata[field];
    if (typeof value !== "string" || value === "") {
      problems.push({ path: `metadata.${field}`, type: "Required", detail: "Required value" });
    }
  }
  // Upstream decodes a missing spec as an empty selector, which selects every pod.
  if (!isRecord(cr.spec)) {
    problems.push({ path: "spec", type: "Required", detail: "Required value" });
  }
  return problems;
}

function readModel(cr: KubeObject): RateLimitModel | undefined {
  const { name, namespace, uid } = cr.metadata;
  const spec = cr.spec;
  if (typeof name !== "string" || typeof namespace !== "string" || !isRecord(spec)) {
    return undefined;
  }
  const local = spec.local;
  if (!isRecord(local)) return undefined;
  const defaultBucket = readBucketSpec(local.defaultBucket);
  const buckets = local.buckets ?? [];
  if (defaultBucket === undefined || !Array.isArray(buckets)) return undefined;
  const configs = buckets.map(readBucketConfig);
  if (!configs.every((c) => c !== undefined)) return undefined;
  return {
    name,
    namespace,
    ...(typeof uid === "string" && uid !== "" ? { uid } : {}),
    selectorLabels: stringMap(spec.selectorLabels),
    defaultBucket,
    buckets: configs,
    enforce: spec.enforce !== false,
    enableResponseHeaders: spec.enableResponseHeaders === true,
    ...(conforms(GlobalSpec, spec.global) ? { global: spec.global } : {}),
  };
}

function readBucketConfig(value: unknown): BucketConfig | undefined {
  if (!isRecord(value)) return undefined;
  const bucket = readBucketSpec(value.bucket);
  if (bucket === undefined) return undefined;
  const { path, headers } = value;
  return {
    ...(typeof path === "string" ? { path } : {}),
    ...(isRecord(headers) ? { headers: stringMap(headers) } : {}),
    bucket,
  };
}

function readBucketSpec(value: unknown): BucketSpec | undefined {
  if (!isRecord(value)) return undefined;
  const { maxTokens, tokensPerFill, fillInterval } = value;
  if (
    typeof maxTokens !== "number" || typeof tokensPerFill !== "number" ||
    typeof fillInterval !== "string"
  ) {
    return undefined;
  }
  return { maxTokens, tokensPerFill, fillInterval };
}
