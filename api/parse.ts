/**
 * Parsing at the boundary: an `unknown` value becomes a typed object of one of apigw's kinds, or
 * the list of every schema problem. Unknown fields are pruned, as the apiserver prunes them.
 */
import type { OpenAPISchema } from "./schema/openapi.ts";
import type { Schema } from "./schema/build.ts";
import type { Problem } from "./schema/problem.ts";
import { prune, validateSchema } from "./schema/validate.ts";
import { pruneNullsWith } from "./normalize.ts";
import { APIRuleV2alpha1, type APIRuleV2Object } from "./apirule/v2.ts";
import { APIRuleV1beta1, type APIRuleV1beta1Object } from "./apirule/v1beta1.ts";
import { RateLimit, type RateLimitObject } from "./ratelimit/v1alpha1.ts";
import { APIGateway, type APIGatewayObject } from "./apigateway/v1alpha1.ts";

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: Problem[] };

/**
 * Validates `value` against `schema` and returns it pruned and typed as `T`. Unknown fields are
 * not problems here (the apiserver prunes them); every other schema problem is.
 */
export function parseWith<T>(schema: OpenAPISchema | Schema<unknown>, raw: unknown): Parsed<T> {
  // Non-nullable nulls are dropped (or defaulted) first, as the apiserver does before validating.
  const value = pruneNullsWith(schema, raw);
  const problems = validateSchema(schema, value).filter((p) => p.type !== "Unknown");
  if (problems.length > 0) return { ok: false, error: problems };
  // The schema just accepted the value, so it has the shape T describes.
  return { ok: true, value: prune(schema, value) as T };
}

/** An APIRule in v2 or v2alpha1 (same fields; `spec` may be absent, as v2alpha1 allows). */
export function parseAPIRuleV2(value: unknown): Parsed<APIRuleV2Object> {
  return parseWith<APIRuleV2Object>(APIRuleV2alpha1, value);
}

/** An APIRule in v1beta1. */
export function parseAPIRuleV1beta1(value: unknown): Parsed<APIRuleV1beta1Object> {
  return parseWith<APIRuleV1beta1Object>(APIRuleV1beta1, value);
}

/** A RateLimit. */
export function parseRateLimit(value: unknown): Parsed<RateLimitObject> {
  return parseWith<RateLimitObject>(RateLimit, value);
}

/** An APIGateway. */
export function parseAPIGateway(value: unknown): Parsed<APIGatewayObject> {
  return parseWith<APIGatewayObject>(APIGateway, value);
}
