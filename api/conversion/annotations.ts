/**
 * The annotations that carry an APIRule's version history through conversion (docs/spec/conversion.md §2).
 */

/** The API version in which the user last authored the rules: `v1beta1`, `v2alpha1` or `v2`. */
export const ORIGINAL_VERSION_ANNOTATION = "gateway.kyma-project.io/original-version";

/** Compact JSON of the complete v1beta1 spec, written whenever a v1beta1 object is stored. */
export const V1BETA1_SPEC_ANNOTATION = "gateway.kyma-project.io/v1beta1-spec";

/** Legacy carrier of v2alpha1 rules through a v1beta1 view (written by older releases only). */
export const V2ALPHA1_RULES_ANNOTATION = "gateway.kyma-project.io/v2alpha1-rules";

/** How a field path names an annotation: `metadata.annotations[gateway.kyma-project.io/…]`. */
export function annotationField(key: string): string {
  return `metadata.annotations[${key}]`;
}
