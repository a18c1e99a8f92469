/**
 * The v2alpha1 admission defaulting (docs/spec/conversion.md §9): writes through v2alpha1 record
 * `original-version: v2alpha1`, as writes through v2 record `v2` during conversion. The webhook
 * answers with the JSON Patch; the defaulted object is returned for tests and offline use.
 */
import { isRecord } from "./_decode.ts";
import { decodeHubSpec, decodeMetadata } from "./_decode_apirule.ts";
import { fail, type Metadata, type Result } from "./_types.ts";
import { type ConversionError, conversionError, objectName } from "./conversion_error.ts";
import { metadataAfterWrite } from "./original_version.ts";

/** One RFC 6902 operation. */
export type JsonPatchOperation =
  | { op: "add"; path: string; value: unknown }
  | { op: "remove"; path: string };

export interface Defaulted {
  object: Record<string, unknown>;
  /** What turns the input into `object`; empty when nothing changes. */
  patch: JsonPatchOperation[];
}

/**
 * Defaults a v2alpha1 APIRule written with `operation` (`CREATE`, `UPDATE`; others are left
 * alone): `original-version` is set when absent, and moves from `v1beta1` to `v2alpha1` when the
 * write migrates the APIRule (original_version.ts).
 */
export function defaultV2alpha1(
  object: unknown,
  operation: string,
): Result<Defaulted, ConversionError> {
  if (!isRecord(object)) {
    return {
      ok: false,
      error: conversionError("APIRule", fail("", "expected an object").error),
    };
  }
  const name = objectName(object.metadata);
  const metadata = decodeMetadata(object.metadata);
  if (!metadata.ok) return { ok: false, error: conversionError(name, metadata.error) };
  const spec = decodeHubSpec(object.spec, "spec");
  if (!spec.ok) return { ok: false, error: conversionError(name, spec.error) };
  if (operation !== "CREATE" && operation !== "UPDATE") {
    return { ok: true, value: { object, patch: [] } };
  }
  const after = metadataAfterWrite(metadata.value, spec.value, "v2alpha1");
  const patch = annotationPatch(metadata.value, after, object.metadata !== undefined);
  if (patch.length === 0) return { ok: true, value: { object, patch } };
  const raw = isRecord(object.metadata) ? object.metadata : {};
  return {
    ok: true,
    value: {
      object: { ...object, metadata: { ...raw, annotations: after.annotations ?? {} } },
      patch,
    },
  };
}

function annotationPatch(
  before: Metadata,
  after: Metadata,
  hasMetadata: boolean,
): JsonPatchOperation[] {
  const old = before.annotations;
  const next = after.annotations ?? {};
  if (!hasMetadata) return [{ op: "add", path: "/metadata", value: { annotations: next } }];
  if (old === undefined) {
    return Object.keys(next).length === 0
      ? []
      : [{ op: "add", path: "/metadata/annotations", value: next }];
  }
  const patch: JsonPatchOperation[] = [];
  for (const key of Object.keys(next)) {
    if (old[key] !== next[key] || !Object.hasOwn(old, key)) {
      patch.push({ op: "add", path: `/metadata/annotations/${pointer(key)}`, value: next[key] });
    }
  }
  for (const key of Object.keys(old)) {
    if (!Object.hasOwn(next, key)) {
      patch.push({ op: "remove", path: `/metadata/annotations/${pointer(key)}` });
    }
  }
  return patch;
}

/** Escapes a key for a JSON Pointer (RFC 6901). */
function pointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}
