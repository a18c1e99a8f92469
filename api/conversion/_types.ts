/**
 * Types shared by the conversion functions: the `Result` they return, the field-level error, and
 * the "loose" shapes of APIRule specs as conversion sees them (every field optional, enums widened
 * to strings), since stored objects and annotations need not satisfy the CRD's `required` lists.
 */
import type {
  APIRuleSpec,
  APIRuleStatus,
  CorsPolicy,
  ExtAuth,
  JwtConfig,
  Rule,
} from "../apirule/v2.ts";
import type {
  APIRuleSpecV1beta1,
  APIRuleStatusV1beta1,
  CorsPolicyV1beta1,
  Handler,
  RuleV1beta1,
} from "../apirule/v1beta1.ts";

export type { Result } from "../result.ts";

/** What went wrong, and where: `spec.corsPolicy.maxAge`: `is not a valid duration: "5x"`. */
export interface FieldError {
  /** Field path in apiserver notation; annotations as `metadata.annotations[key]`. */
  field: string;
  /** The reason alone, starting lowercase, without a trailing period. */
  reason: string;
}

/**
 * `T` with every field optional and every enum widened to its base type: the shape a decoded
 * value is known to have when only JSON types were checked (as Go's decoder does).
 */
export type Loose<T> = T extends string ? string
  : T extends number ? number
  : T extends boolean ? boolean
  : T extends readonly (infer E)[] ? Loose<E>[]
  : T extends object ? string extends keyof T ? { [key: string]: Loose<T[string]> }
    : { [K in keyof T]?: Loose<Exclude<T[K], undefined>> }
  : T;

export type HubSpec = Loose<APIRuleSpec>;
export type HubRule = Loose<Rule>;
export type HubJwt = Loose<JwtConfig>;
export type HubExtAuth = Loose<ExtAuth>;
export type HubCorsPolicy = Loose<CorsPolicy>;
export type HubStatus = Loose<APIRuleStatus>;

export type V1beta1Spec = Loose<APIRuleSpecV1beta1>;
export type V1beta1Rule = Loose<RuleV1beta1>;
export type V1beta1Handler = Loose<Handler>;
export type V1beta1CorsPolicy = Loose<CorsPolicyV1beta1>;
export type V1beta1Status = Loose<APIRuleStatusV1beta1>;

/**
 * Object metadata as conversion handles it: copied as a whole, with the annotations (the only
 * part conversion reads or writes) checked to be a map of strings.
 */
export interface Metadata {
  [field: string]: unknown;
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
}

/** An APIRule in the storage version `v2alpha1` (or in `v2`, which has the same fields). */
export interface HubObject {
  metadata: Metadata;
  spec?: HubSpec;
  status?: HubStatus;
}

/** An APIRule in `v1beta1`. */
export interface V1beta1Object {
  metadata: Metadata;
  spec?: V1beta1Spec;
  status?: V1beta1Status;
}

/** A successful result. */
export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** A failed result naming the field and the reason. */
export function fail(field: string, reason: string): { ok: false; error: FieldError } {
  return { ok: false, error: { field, reason } };
}
