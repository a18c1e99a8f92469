/**
 * The parts of an APIRule that conversion decodes from `unknown`: specs and statuses of each
 * version (`_decode.ts` does the JSON type checks) and the metadata fields conversion reads.
 */
import { APIRuleSpec, APIRuleStatus } from "../apirule/v2.ts";
import { APIRuleSpecV1beta1, APIRuleStatusV1beta1 } from "../apirule/v1beta1.ts";
import { decodeShape, isRecord, mismatch } from "./_decode.ts";
import {
  fail,
  type FieldError,
  type HubSpec,
  type HubStatus,
  type Metadata,
  ok,
  type Result,
  type V1beta1Spec,
  type V1beta1Status,
} from "./_types.ts";
import { parseGoDuration } from "../duration.ts";

/** Decodes a v1beta1 spec: JSON types, plus a CORS `maxAge` Go can parse as a duration. */
export function decodeV1beta1Spec(value: unknown, path: string): Result<V1beta1Spec, FieldError> {
  if (value === null || value === undefined) return ok({});
  const spec = decodeShape(APIRuleSpecV1beta1, value, path);
  if (!spec.ok) return spec;
  const maxAge = spec.value.corsPolicy?.maxAge;
  if (maxAge !== undefined) {
    const parsed = parseGoDuration(maxAge);
    if (!parsed.ok) return fail(`${path}.corsPolicy.maxAge`, parsed.error);
  }
  return spec;
}

/** Decodes a v1beta1 status. */
export function decodeV1beta1Status(
  value: unknown,
  path: string,
): Result<V1beta1Status | undefined, FieldError> {
  if (value === null || value === undefined) return ok(undefined);
  return decodeShape(APIRuleStatusV1beta1, value, path);
}

/** Decodes a v2 / v2alpha1 spec. */
export function decodeHubSpec(
  value: unknown,
  path: string,
): Result<HubSpec | undefined, FieldError> {
  if (value === null || value === undefined) return ok(undefined);
  return decodeShape(APIRuleSpec, value, path);
}

/** Decodes a v2 / v2alpha1 status. */
export function decodeHubStatus(
  value: unknown,
  path: string,
): Result<HubStatus | undefined, FieldError> {
  if (value === null || value === undefined) return ok(undefined);
  return decodeShape(APIRuleStatus, value, path);
}

/**
 * Checks the parts of `metadata` that conversion reads (name, namespace, annotations) and keeps
 * every other field as it is.
 */
export function decodeMetadata(value: unknown): Result<Metadata, FieldError> {
  if (value === null || value === undefined) return ok({});
  if (!isRecord(value)) return mismatch("metadata", "an object", value);
  const { name, namespace, annotations: raw, ...rest } = value;
  for (const [key, field] of [["name", name], ["namespace", namespace]] as const) {
    if (field !== undefined && field !== null && typeof field !== "string") {
      return mismatch(`metadata.${key}`, "a string", field);
    }
  }
  const metadata: Metadata = {
    ...(typeof name === "string" ? { name } : {}),
    ...(typeof namespace === "string" ? { namespace } : {}),
    ...rest,
  };
  if (raw === undefined || raw === null) return ok(metadata);
  if (!isRecord(raw)) return mismatch("metadata.annotations", "an object", raw);
  const entries: [string, string][] = [];
  for (const key of Object.keys(raw)) {
    const annotation = raw[key];
    if (typeof annotation !== "string") {
      return mismatch(`metadata.annotations[${key}]`, "a string", annotation);
    }
    entries.push([key, annotation]);
  }
  metadata.annotations = Object.fromEntries(entries);
  return ok(metadata);
}
