/**
 * The header lists of the ext_authz provider (`proxy/manifests.ts`): which request headers
 * Envoy must send in the check (tokens, rate-limit keys) and which upstream headers apigw's
 * v1beta1 mutators set, both read from the rules and limits the provider will serve.
 */
import type { PolicyIndex } from "../core/authz/policy_index.ts";
import type { GlobalLimit } from "../core/ratelimit/global.ts";
import type { CompiledRule } from "../core/authz/rule.ts";

/**
 * `authorization`, `x-forwarded-for` (client-address keys of global rate limits) and every custom
 * token header the rules read, sorted.
 */
export function checkHeaders(
  index: PolicyIndex | undefined,
  globalLimits: readonly GlobalLimit[] = [],
): string[] {
  const names = new Set(["authorization", "x-forwarded-for"]);
  for (const limit of globalLimits) {
    if (limit.key.header !== undefined) names.add(limit.key.header.name.toLowerCase());
    for (const bucket of [limit.defaultBucket, ...limit.buckets]) {
      for (const name of Object.keys(bucket.headers)) {
        // `path`, `method` and pseudo-headers are read from the check request itself.
        if (!name.startsWith(":") && name !== "path" && name !== "method") {
          names.add(name.toLowerCase());
        }
      }
    }
  }
  for (const rules of index?.hosts.values() ?? []) {
    for (const rule of rules) {
      const jwt = rule.auth.kind === "jwt"
        ? rule.auth.jwt
        : rule.auth.kind === "extAuth"
        ? rule.auth.restrictions
        : undefined;
      for (const authentication of jwt?.authentications ?? []) {
        for (const location of authentication.locations) {
          if (location.kind === "header") names.add(location.name);
        }
      }
      if (rule.auth.kind === "accessStrategies") {
        for (const name of accessStrategyCheckHeaders(rule.auth)) names.add(name);
      }
    }
  }
  return [...names].sort();
}

/**
 * The headers v1beta1 mutators set (§8 #12): listed in `headersToUpstreamOnAllow`, so Envoy
 * overwrites the client's copies with apigw's values. Sorted; empty without such rules.
 */
export function mutatorHeaders(index: PolicyIndex | undefined): string[] {
  const names = new Set<string>();
  for (const rules of index?.hosts.values() ?? []) {
    for (const rule of rules) {
      if (rule.auth.kind !== "accessStrategies") continue;
      for (const mutator of rule.auth.mutators) {
        if (mutator.kind === "header") { for (const h of mutator.headers) names.add(h.name); }
        if (mutator.kind === "cookie") names.add("cookie");
        if (mutator.kind === "id_token") names.add("authorization");
      }
    }
  }
  return [...names].sort();
}

function accessStrategyCheckHeaders(
  auth: Extract<CompiledRule["auth"], { kind: "accessStrategies" }>,
): string[] {
  const names: string[] = [];
  for (const strategy of auth.strategies) {
    if (strategy.kind === "jwt" || strategy.kind === "oauth2_introspection") {
      if (strategy.tokenFrom.kind === "header") names.push(strategy.tokenFrom.name);
      if (strategy.tokenFrom.kind === "cookie") names.push("cookie");
    }
    if (strategy.kind === "jwt_istio") {
      for (const location of strategy.jwt.locations) {
        if (location.kind === "header") names.push(location.name);
      }
    }
    if (strategy.kind === "cookie_session") {
      names.push("cookie", ...strategy.forwardHttpHeaders.map((h) => h.toLowerCase()));
    }
  }
  // The cookie mutator merges its cookies into the client's Cookie header.
  if (auth.mutators.some((m) => m.kind === "cookie")) names.push("cookie");
  return names;
}
