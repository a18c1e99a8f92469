/**
 * v2alpha1 → v1beta1, "from hub" (docs/spec/conversion.md §8). An APIRule authored in v1beta1 is shown with
 * the spec saved in its `v1beta1-spec` annotation; any other gets the best-effort view of
 * `v1beta1_view.ts` where upstream shows an empty spec.
 */
import { decodeV1beta1Spec } from "./_decode_apirule.ts";
import {
  fail,
  type FieldError,
  type HubObject,
  ok,
  type Result,
  type V1beta1Object,
  type V1beta1Spec,
} from "./_types.ts";
import {
  annotationField,
  ORIGINAL_VERSION_ANNOTATION,
  V1BETA1_SPEC_ANNOTATION,
} from "./annotations.ts";
import { v1beta1StatusOf } from "./status.ts";
import { v1beta1ViewOf } from "./v1beta1_view.ts";

/** Converts a hub APIRule to v1beta1. */
export function fromHub(source: HubObject): Result<V1beta1Object, FieldError> {
  const annotations = source.metadata.annotations ?? {};
  let spec: V1beta1Spec;
  if (annotations[ORIGINAL_VERSION_ANNOTATION] === "v1beta1") {
    const stored = storedV1beta1Spec(annotations);
    if (!stored.ok) return stored;
    spec = stored.value;
  } else {
    spec = v1beta1ViewOf(source.spec ?? {});
  }
  const status = v1beta1StatusOf(source.status);
  return ok({ metadata: source.metadata, spec, ...(status !== undefined ? { status } : {}) });
}

/** The v1beta1 spec saved in the `v1beta1-spec` annotation: missing or unreadable is an error. */
export function storedV1beta1Spec(
  annotations: Readonly<Record<string, string>>,
): Result<V1beta1Spec, FieldError> {
  const field = annotationField(V1BETA1_SPEC_ANNOTATION);
  const text = annotations[V1BETA1_SPEC_ANNOTATION];
  if (text === undefined) {
    return fail(field, `is missing, but ${ORIGINAL_VERSION_ANNOTATION} is "v1beta1"`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(field, `is not valid JSON: ${error instanceof Error ? error.message : error}`);
  }
  return decodeV1beta1Spec(parsed, field);
}
