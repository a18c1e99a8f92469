/**
 * The `original-version` bookkeeping of writes through v2 and v2alpha1 (docs/spec/conversion.md §9, §10.1):
 * which version the user last authored the rules in, and so which controller pipeline applies.
 */
import { isDeepStrictEqual } from "node:util";
import type { HubSpec, Metadata } from "./_types.ts";
import { ORIGINAL_VERSION_ANNOTATION, V1BETA1_SPEC_ANNOTATION } from "./annotations.ts";
import { storedV1beta1Spec } from "./from_hub.ts";
import { hubSpecOf } from "./to_hub.ts";

/**
 * The metadata of an APIRule written through `version` with `spec`: `original-version` is set when
 * absent, and moves from `v1beta1` to `version` when the write migrates the APIRule.
 *
 * Upstream treats every write with rules as a migration, so re-applying the v2 view of a v1beta1
 * APIRule (`kubectl get` then `kubectl apply`) migrates it and loses its v1beta1 spec. apigw
 * migrates only when the written spec differs from the v2 form of the saved v1beta1 spec (README
 * decision 7), and then drops the saved spec, which would only go stale (§17 item 5).
 */
export function metadataAfterWrite(
  metadata: Metadata,
  spec: HubSpec | undefined,
  version: "v2" | "v2alpha1",
): Metadata {
  const annotations = metadata.annotations ?? {};
  const original = annotations[ORIGINAL_VERSION_ANNOTATION];
  if (original === undefined) {
    return { ...metadata, annotations: { ...annotations, [ORIGINAL_VERSION_ANNOTATION]: version } };
  }
  if (original !== "v1beta1" || (spec?.rules?.length ?? 0) === 0) return metadata;
  if (isV2FormOfSavedSpec(metadata, spec)) return metadata;
  const { [V1BETA1_SPEC_ANNOTATION]: _stale, ...kept } = annotations;
  return { ...metadata, annotations: { ...kept, [ORIGINAL_VERSION_ANNOTATION]: version } };
}

/** Tells whether `spec` is exactly what the saved v1beta1 spec converts to (§4). */
export function isV2FormOfSavedSpec(metadata: Metadata, spec: HubSpec | undefined): boolean {
  const saved = storedV1beta1Spec(metadata.annotations ?? {});
  if (!saved.ok) return false;
  const derived = hubSpecOf(saved.value, { namespace: metadata.namespace ?? "" });
  return derived.ok && isDeepStrictEqual(derived.value, spec ?? {});
}
