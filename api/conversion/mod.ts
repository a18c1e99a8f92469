/**
 * APIRule version conversion, as the conversion webhook and `apigw convert` perform it.
 *
 * An object arrives as `unknown` in one of v1beta1, v2alpha1 (storage version, the hub) or v2.
 * `convertAPIRule()` checks the shape it needs, converts it to the hub (to_hub.ts, v2.ts), and
 * from the hub to the desired version (from_hub.ts, v2.ts); v1beta1 ⇄ v2 passes through one
 * in-memory hub object. Metadata is copied whole, annotations always (docs/spec/conversion.md §14.5).
 */
import {
  APIRULE_V1BETA1,
  APIRULE_V2,
  APIRULE_V2ALPHA1,
  type APIRuleVersion,
  isAPIRuleVersion,
} from "../kinds.ts";
import { describe, isRecord, show } from "./_decode.ts";
import {
  decodeHubSpec,
  decodeHubStatus,
  decodeMetadata,
  decodeV1beta1Spec,
  decodeV1beta1Status,
} from "./_decode_apirule.ts";
import {
  fail,
  type FieldError,
  type HubObject,
  type HubSpec,
  type HubStatus,
  type Metadata,
  ok,
  type Result,
  type V1beta1Spec,
  type V1beta1Status,
} from "./_types.ts";
import { type ConversionError, conversionError, objectName } from "./conversion_error.ts";
import { fromHub } from "./from_hub.ts";
import { toHub } from "./to_hub.ts";
import { hubToV2, v2ToHub } from "./v2.ts";

export type { ConversionError } from "./conversion_error.ts";
export { type Defaulted, defaultV2alpha1, type JsonPatchOperation } from "./default_v2alpha1.ts";
export { storedV1beta1Spec } from "./from_hub.ts";
export {
  ORIGINAL_VERSION_ANNOTATION,
  V1BETA1_SPEC_ANNOTATION,
  V2ALPHA1_RULES_ANNOTATION,
} from "./annotations.ts";

/** A converted APIRule: apiVersion, kind, metadata, and spec/status in that version's shape. */
export interface ConvertedAPIRule {
  [field: string]: unknown;
  apiVersion: APIRuleVersion;
  kind: "APIRule";
  metadata: Metadata;
  spec?: HubSpec | V1beta1Spec;
  status?: HubStatus | V1beta1Status;
}

/**
 * Converts an APIRule to `toApiVersion` exactly as the conversion webhook does. Never throws: a
 * malformed object, an unknown or equal version, or an unreadable annotation is an error that
 * names the object and the field.
 *
 * @example
 * const v2 = convertAPIRule(v1beta1Object, "gateway.kyma-project.io/v2");
 * if (!v2.ok) console.error(v2.error.message);
 */
export function convertAPIRule(
  object: unknown,
  toApiVersion: string,
): Result<ConvertedAPIRule, ConversionError> {
  const name = isRecord(object) ? objectName(object.metadata) : "APIRule";
  const converted = convert(object, toApiVersion);
  if (converted.ok) return converted;
  return { ok: false, error: conversionError(name, converted.error, { to: toApiVersion }) };
}

function convert(object: unknown, to: string): Result<ConvertedAPIRule, FieldError> {
  if (!isAPIRuleVersion(to)) {
    return fail(
      "",
      `unknown target apiVersion ${show(to)}, expected one of ` +
        [APIRULE_V1BETA1, APIRULE_V2ALPHA1, APIRULE_V2].map((v) => JSON.stringify(v)).join(", "),
    );
  }
  if (!isRecord(object)) return fail("", `expected an object, got ${describe(object)}`);
  if (object.kind !== "APIRule") {
    return fail("kind", `must be "APIRule", got ${show(object.kind)}`);
  }
  const from = object.apiVersion;
  if (!isAPIRuleVersion(from)) {
    return fail("apiVersion", `${show(from)} is not an APIRule version`);
  }
  // Upstream's text (controller-runtime); the API server never asks for it.
  if (from === to) return fail("", "conversion is not allowed between same type");
  const metadata = decodeMetadata(object.metadata);
  if (!metadata.ok) return metadata;
  const hub = from === APIRULE_V1BETA1
    ? v1beta1ToHub(object, metadata.value)
    : decodeHubObject(object, metadata.value, from);
  if (!hub.ok) return hub;
  if (to === APIRULE_V2ALPHA1) return ok(withType(APIRULE_V2ALPHA1, hub.value));
  if (to === APIRULE_V2) {
    const v2 = hubToV2(hub.value);
    return v2.ok ? ok(withType(APIRULE_V2, v2.value)) : v2;
  }
  const v1beta1 = fromHub(hub.value);
  return v1beta1.ok ? ok(withType(APIRULE_V1BETA1, v1beta1.value)) : v1beta1;
}

function v1beta1ToHub(
  object: Record<string, unknown>,
  metadata: Metadata,
): Result<HubObject, FieldError> {
  const spec = decodeV1beta1Spec(object.spec, "spec");
  if (!spec.ok) return spec;
  const status = decodeV1beta1Status(object.status, "status");
  if (!status.ok) return status;
  return toHub({
    metadata,
    spec: spec.value,
    ...(status.value !== undefined ? { status: status.value } : {}),
  });
}

/** A v2 or v2alpha1 object as a hub object (through §10.1 for v2). */
function decodeHubObject(
  object: Record<string, unknown>,
  metadata: Metadata,
  from: APIRuleVersion,
): Result<HubObject, FieldError> {
  const spec = decodeHubSpec(object.spec, "spec");
  if (!spec.ok) return spec;
  const status = decodeHubStatus(object.status, "status");
  if (!status.ok) return status;
  const decoded: HubObject = {
    metadata,
    ...(spec.value !== undefined ? { spec: spec.value } : {}),
    ...(status.value !== undefined ? { status: status.value } : {}),
  };
  return ok(from === APIRULE_V2 ? v2ToHub(decoded) : decoded);
}

function withType(
  apiVersion: APIRuleVersion,
  object: { metadata: Metadata; spec?: HubSpec | V1beta1Spec; status?: HubStatus | V1beta1Status },
): ConvertedAPIRule {
  return {
    apiVersion,
    kind: "APIRule",
    metadata: object.metadata,
    ...(object.spec !== undefined ? { spec: object.spec } : {}),
    ...(object.status !== undefined ? { status: object.status } : {}),
  };
}
