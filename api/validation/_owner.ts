/** Which APIRule owns a VirtualService (docs/spec/apirule-v2.md §1, §12, §13.6). */
import { isOwnedBy } from "../apirule/ownership.ts";
import type { ValidationFacts, VirtualServiceFact } from "./facts.ts";

/**
 * Foreign VirtualServices that serve `host`, sorted by namespace and name; undefined when the
 * facts know no VirtualServices.
 */
export function occupants(
  facts: ValidationFacts,
  host: string,
  apirule: { name: string; namespace: string },
): VirtualServiceFact[] | undefined {
  const candidates = facts.index?.virtualServicesWithHost(host) ?? facts.virtualServices;
  return candidates
    ?.filter((vs) =>
      vs.hosts.includes(host) && !isOwnedBy(vs.labels, apirule.name, apirule.namespace)
    )
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`, "en"));
}
