/**
 * Deleting an APIRule (docs/spec/apirule-v2.md §15, docs/spec/apirule-v1beta1.md §12): with our finalizer present,
 * every owned AuthorizationPolicy, RequestAuthentication, VirtualService and Oathkeeper Rule goes,
 * in every namespace (each kind only if its CRD exists), then the finalizer.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { Plan } from "../plan.ts";
import type { Snapshot } from "../snapshot.ts";
import { FINALIZER } from "./labels.ts";
import { ownedObjects } from "./owned.ts";

export const OWNED_KINDS = [
  ["security.istio.io", "AuthorizationPolicy"],
  ["security.istio.io", "RequestAuthentication"],
  ["networking.istio.io", "VirtualService"],
  ["oathkeeper.ory.sh", "Rule"],
] as const;

export const CRD_OF: Record<string, string> = {
  AuthorizationPolicy: "authorizationpolicies.security.istio.io",
  RequestAuthentication: "requestauthentications.security.istio.io",
  VirtualService: "virtualservices.networking.istio.io",
  Rule: "rules.oathkeeper.ory.sh",
};

/** Deleting: every owned object goes, in every namespace, then the finalizer (§15). */
export function planDeletion(
  cr: KubeObject,
  snapshot: Snapshot,
  owner: { name: string; namespace: string },
): Plan {
  const finalizers = cr.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) {
    return { apply: [], delete: [], cr, state: "Deleting", description: "", complete: true };
  }
  const remove = OWNED_KINDS.flatMap(([group, kind]) =>
    snapshot.hasCRD(CRD_OF[kind]!) ? ownedObjects(snapshot, group, kind, owner) : []
  );
  const rest = finalizers.filter((f) => f !== FINALIZER);
  return {
    apply: [],
    delete: remove,
    cr: rest.length > 0 ? { ...cr, metadata: { ...cr.metadata, finalizers: rest } } : undefined,
    state: "Deleting",
    description: "",
    complete: true,
  };
}
