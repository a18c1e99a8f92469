/**
 * The v1beta1 access strategy catalogue (docs/spec/apirule-v1beta1.md §3) and the rule classifications the
 * generators use.
 */
import type { RuleV1beta1 } from "../../../api/apirule/v1beta1.ts";

export type JwtHandlerMode = "ory" | "istio" | "apigw";

interface HandlerInfo {
  secure: boolean;
  exclusiveInOry: boolean;
  exclusiveInIstio: boolean;
}

export const HANDLERS: Readonly<Record<string, HandlerInfo>> = {
  allow: { secure: false, exclusiveInOry: true, exclusiveInIstio: true },
  no_auth: { secure: false, exclusiveInOry: true, exclusiveInIstio: true },
  noop: { secure: false, exclusiveInOry: true, exclusiveInIstio: true },
  unauthorized: { secure: false, exclusiveInOry: false, exclusiveInIstio: false },
  anonymous: { secure: false, exclusiveInOry: false, exclusiveInIstio: false },
  cookie_session: { secure: true, exclusiveInOry: false, exclusiveInIstio: false },
  oauth2_client_credentials: { secure: true, exclusiveInOry: false, exclusiveInIstio: false },
  oauth2_introspection: { secure: true, exclusiveInOry: false, exclusiveInIstio: false },
  jwt: { secure: true, exclusiveInOry: false, exclusiveInIstio: true },
};

function handlerNames(rule: RuleV1beta1): string[] {
  return rule.accessStrategies.map((s) => s.handler);
}

/** The rule has a strategy other than `allow` and `no_auth`, so Oathkeeper is involved. */
export function securedByOathkeeper(rule: RuleV1beta1): boolean {
  return handlerNames(rule).some((h) => h !== "allow" && h !== "no_auth");
}

/** The rule has a `jwt` strategy. */
export function jwtSecured(rule: RuleV1beta1): boolean {
  return handlerNames(rule).includes("jwt");
}

/** The rule has a strategy named `name`. */
export function hasHandler(rule: RuleV1beta1, name: string): boolean {
  return handlerNames(rule).includes(name);
}

/** Whether the route of `rule` goes to the Oathkeeper proxy (§7.3). */
export function routesToOathkeeper(rule: RuleV1beta1, mode: JwtHandlerMode): boolean {
  if (mode === "apigw") return false;
  if (mode === "ory") return securedByOathkeeper(rule);
  return securedByOathkeeper(rule) && !jwtSecured(rule);
}

/** Istio mode: AuthorizationPolicies are generated when a rule is jwt-secured or uses no_auth. */
export function needsAuthorizationPolicies(rules: readonly RuleV1beta1[]): boolean {
  return rules.some((r) => jwtSecured(r) || hasHandler(r, "no_auth"));
}
