/**
 * v1beta1 gateway references in v2 form (docs/spec/conversion.md §6): legacy dotted names
 * (`kyma-gateway.kyma-system.svc.cluster.local`) become `namespace/name`; whatever is not then in
 * the strict `namespace/name` format has no v2 form.
 */
import { GATEWAY_REF_PATTERN } from "../apirule/v2.ts";
import { V1BETA1_GATEWAY_PATTERN } from "../apirule/v1beta1.ts";
import type { Result } from "./_types.ts";

const STRICT = new RegExp(GATEWAY_REF_PATTERN);
const V1BETA1 = new RegExp(V1BETA1_GATEWAY_PATTERN);

/** The suffix each dotted length must end with; it is stripped before the 2-part rule. */
const SUFFIXES: Readonly<Record<number, string>> = {
  3: ".svc",
  4: ".svc.cluster",
  5: ".svc.cluster.local",
};

/** Tells whether `gateway` is a strict v2 reference: `namespace/name`, DNS labels. */
export function isStrictGatewayName(gateway: string): boolean {
  return STRICT.test(gateway);
}

/** Tells whether `gateway` is one of the legacy v1beta1 forms that translation rewrites. */
export function isLegacyGatewayName(gateway: string): boolean {
  return V1BETA1.test(gateway) && !STRICT.test(gateway);
}

/**
 * Rewrites a legacy gateway name as `namespace/name`: one part gets `namespace`, two parts are
 * `name.namespace`, three to five parts must end in `.svc[.cluster[.local]]`.
 *
 * @example translateGatewayName("kyma-gateway.kyma-system.svc.cluster.local", "shop") // ok: "kyma-system/kyma-gateway"
 */
export function translateGatewayName(gateway: string, namespace: string): Result<string, string> {
  let parts = gateway.split(".");
  const suffix = SUFFIXES[parts.length];
  if (suffix !== undefined) {
    if (!gateway.endsWith(suffix)) {
      return { ok: false, error: `gateway ${JSON.stringify(gateway)} is not in a legacy format` };
    }
    parts = gateway.slice(0, -suffix.length).split(".");
  }
  const [name, gatewayNamespace] = parts;
  if (parts.length === 1 && name !== undefined) return { ok: true, value: `${namespace}/${name}` };
  if (parts.length === 2 && name !== undefined && gatewayNamespace !== undefined) {
    return { ok: true, value: `${gatewayNamespace}/${name}` };
  }
  return { ok: false, error: `gateway ${JSON.stringify(gateway)} is not in a legacy format` };
}

/**
 * The v2 `gateway` of a v1beta1 value (§4 step 5): legacy names translated with the APIRule's
 * namespace; `undefined` when the result is not strictly `namespace/name` (dropped silently).
 */
export function v2GatewayName(gateway: string, namespace: string): string | undefined {
  let candidate = gateway;
  if (isLegacyGatewayName(gateway)) {
    const translated = translateGatewayName(gateway, namespace);
    if (!translated.ok) return undefined;
    candidate = translated.value;
  }
  return isStrictGatewayName(candidate) ? candidate : undefined;
}
