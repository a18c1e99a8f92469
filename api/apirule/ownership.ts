/**
 * Which APIRule owns an object (docs/spec/apirule-v2.md §1, §12, §13.6): the owner labels, and the legacy
 * label of v1beta1 times.
 */

export const OWNER_NAME_LABEL = "apirule.gateway.kyma-project.io/name";
export const OWNER_NAMESPACE_LABEL = "apirule.gateway.kyma-project.io/namespace";
export const LEGACY_OWNER_LABEL = "apirule.gateway.kyma-project.io/v1beta1";

/**
 * Tells whether an object's labels say it is owned by the APIRule `namespace/name`: the legacy
 * label decides when present, else both owner labels must match.
 */
export function isOwnedBy(
  labels: Readonly<Record<string, string>> | undefined,
  name: string,
  namespace: string,
): boolean {
  if (labels === undefined) return false;
  const legacy = labels[LEGACY_OWNER_LABEL];
  if (legacy !== undefined) return legacy === `${name}.${namespace}`;
  return labels[OWNER_NAME_LABEL] === name && labels[OWNER_NAMESPACE_LABEL] === namespace;
}
