/** Which APIRule owns a VirtualService (apirule-v2.md §1, §12, §13.6). */
import type { VirtualServiceFact } from "./facts.ts";

export const OWNER_NAME_LABEL = "apirule.gateway.kyma-project.io/name";
export const OWNER_NAMESPACE_LABEL = "apirule.gateway.kyma-project.io/namespace";
export const LEGACY_OWNER_LABEL = "apirule.gateway.kyma-project.io/v1beta1";

/** The legacy label decides when present; otherwise both owner labels must match. */
export function ownedBy(
  vs: VirtualServiceFact,
  apirule: { name: string; namespace: string },
): boolean {
  const legacy = vs.labels[LEGACY_OWNER_LABEL];
  if (legacy !== undefined) return legacy === `${apirule.name}.${apirule.namespace}`;
  return vs.labels[OWNER_NAME_LABEL] === apirule.name &&
    vs.labels[OWNER_NAMESPACE_LABEL] === apirule.namespace;
}

/** Foreign VirtualServices that serve `host`, sorted by namespace and name. */
export function occupants(
  virtualServices: readonly VirtualServiceFact[],
  host: string,
  apirule: { name: string; namespace: string },
): VirtualServiceFact[] {
  return virtualServices
    .filter((vs) => vs.hosts.includes(host) && !ownedBy(vs, apirule))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`, "en"));
}
