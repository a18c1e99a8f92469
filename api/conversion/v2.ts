/**
 * v2 ⇄ v2alpha1 (docs/spec/conversion.md §10): one schema, so the spec and status are copied as they are;
 * what changes is the `original-version` bookkeeping on the way to the hub, and the legacy repair
 * of hub specs that older releases stored empty on the way out.
 */
import { type FieldError, type HubObject, type HubSpec, ok, type Result } from "./_types.ts";
import { ORIGINAL_VERSION_ANNOTATION } from "./annotations.ts";
import { storedV1beta1Spec } from "./from_hub.ts";
import { metadataAfterWrite } from "./original_version.ts";
import { hubTopLevelOf } from "./to_hub.ts";

/** Converts a v2 APIRule to the hub version v2alpha1 (§10.1). */
export function v2ToHub(source: HubObject): HubObject {
  return { ...source, metadata: metadataAfterWrite(source.metadata, source.spec, "v2") };
}

/**
 * Converts a hub APIRule to v2 (§10.2). When a v1beta1-authored APIRule has no gateway in the
 * hub, the top-level fields are recomputed from its saved v1beta1 spec. Upstream qualifies
 * one-part gateway names with an empty namespace there (§17 item 6) and crashes when the saved
 * spec has no CORS policy (§15); apigw uses the APIRule's namespace, as §4 does, and then keeps
 * the hub's policy.
 */
export function hubToV2(source: HubObject): Result<HubObject, FieldError> {
  const annotations = source.metadata.annotations ?? {};
  if (
    source.spec?.gateway !== undefined || annotations[ORIGINAL_VERSION_ANNOTATION] !== "v1beta1"
  ) {
    return ok(source);
  }
  const saved = storedV1beta1Spec(annotations);
  if (!saved.ok) return saved;
  const hub = source.spec ?? {};
  const repaired = hubTopLevelOf(saved.value, source.metadata.namespace ?? "");
  const hosts = repaired.hosts ?? hub.hosts;
  const corsPolicy = hub.corsPolicy === undefined
    ? undefined
    : repaired.corsPolicy ?? hub.corsPolicy;
  const spec: HubSpec = {
    ...(hosts !== undefined ? { hosts } : {}),
    ...(repaired.service !== undefined ? { service: repaired.service } : {}),
    ...(repaired.gateway !== undefined ? { gateway: repaired.gateway } : {}),
    ...(hub.externalGateway !== undefined ? { externalGateway: hub.externalGateway } : {}),
    ...(corsPolicy !== undefined ? { corsPolicy } : {}),
    ...(hub.rules !== undefined ? { rules: hub.rules } : {}),
    ...(repaired.timeout !== undefined ? { timeout: repaired.timeout } : {}),
  };
  return ok({ ...source, spec });
}
