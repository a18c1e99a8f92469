/**
 * Ory's scope strategies (fosite's `ScopeStrategy`, as Oathkeeper's `scope_strategy` names them):
 * whether the scopes a token grants satisfy one required scope. `none` means no local check; the
 * introspection endpoint is asked to judge instead (docs/spec/dataplane.md §5.2).
 */
export const SCOPE_STRATEGIES = ["exact", "hierarchic", "wildcard", "none"] as const;
export type ScopeStrategy = typeof SCOPE_STRATEGIES[number];

/** Whether `granted` satisfies `required` under `strategy` (`none`: always). */
export function scopeGranted(
  strategy: ScopeStrategy,
  granted: readonly string[],
  required: string,
): boolean {
  switch (strategy) {
    case "none":
      return true;
    case "exact":
      return granted.includes(required);
    case "hierarchic":
      // `orders` grants `orders` and `orders.read`, not `ordersx`.
      return granted.some((g) => g === required || required.startsWith(`${g}.`));
    case "wildcard":
      return granted.some((g) => wildcardMatches(g, required));
  }
}

/** The first required scope `granted` lacks, or undefined when all are granted. */
export function missingScope(
  strategy: ScopeStrategy,
  granted: readonly string[],
  required: readonly string[],
): string | undefined {
  return required.find((scope) => !scopeGranted(strategy, granted, scope));
}

// fosite's WildcardScopeStrategy: `*` stands for one non-empty dot-separated part; a trailing `*`
// also stands for every further part.
function wildcardMatches(matcher: string, needle: string): boolean {
  const matcherParts = matcher.split(".");
  const needleParts = needle.split(".");
  if (matcherParts.length > needleParts.length) return false;
  for (const [k, part] of matcherParts.entries()) {
    const last = k === matcherParts.length - 1;
    if (last && matcherParts.length !== needleParts.length && part !== "*") return false;
    if (part === "*" && needleParts[k]!.length > 0) continue;
    if (part !== needleParts[k]) return false;
  }
  return true;
}

/**
 * The scopes a claim set grants, Oathkeeper style: `scp`, else `scope`, else `scopes`; a string
 * is split on spaces, a list taken as is.
 */
export function grantedScopes(claims: Readonly<Record<string, unknown>>): string[] {
  for (const name of ["scp", "scope", "scopes"]) {
    const value = claims[name];
    if (typeof value === "string") return value.split(" ").filter(Boolean);
    if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  }
  return [];
}

/** `aud` as a list (a string is one audience). */
export function audiencesOf(claims: Readonly<Record<string, unknown>>): string[] {
  const aud = claims.aud;
  if (typeof aud === "string") return [aud];
  return Array.isArray(aud) ? aud.filter((v): v is string => typeof v === "string") : [];
}
