/**
 * Istio mode of v1beta1 (docs/spec/apirule-v1beta1.md §7.7, §7.8): RequestAuthentications for jwt rules and,
 * when any rule is jwt-secured or uses `no_auth`, AuthorizationPolicies for every rule.
 */
import type { RuleV1beta1 } from "../../../api/apirule/v1beta1.ts";
import type { JwtAuthentication, JwtAuthorization } from "../../../api/apirule/v2.ts";
import {
  type AuthorizationPolicy,
  type JWTRule,
  type RequestAuthentication,
  SECURITY_V1,
} from "../../istio/types.ts";
import { list, record } from "../../istio/read.ts";
import { policyHash } from "../hash.ts";
import { HASH_LABEL, INDEX_LABEL, INGRESS_PRINCIPAL, ownerLabels } from "../labels.ts";
import { requestAuthenticationKey } from "../request_authentications.ts";
import type { V1beta1Context } from "./context.ts";
import { OATHKEEPER_PRINCIPAL } from "./constants.ts";
import { jwtSecured, needsAuthorizationPolicies, securedByOathkeeper } from "./handlers.ts";

const SCOPE_CLAIMS = ["scp", "scope", "scopes"] as const;

/** The Istio-dialect `authentications` of the rule's first `jwt` strategy. */
export function jwtAuthentications(rule: RuleV1beta1): JwtAuthentication[] {
  const config = record(rule.accessStrategies.find((s) => s.handler === "jwt")?.config);
  return list(config?.authentications).flatMap((raw) => {
    const a = record(raw);
    if (a === undefined || typeof a.issuer !== "string" || typeof a.jwksUri !== "string") return [];
    const fromHeaders = list(a.fromHeaders).flatMap((h) => {
      const header = record(h);
      return typeof header?.name === "string"
        ? [{
          name: header.name,
          ...(typeof header.prefix === "string" ? { prefix: header.prefix } : {}),
        }]
        : [];
    });
    const fromParams = list(a.fromParams).filter((p): p is string => typeof p === "string");
    return [{
      issuer: a.issuer,
      jwksUri: a.jwksUri,
      ...(fromHeaders.length > 0 ? { fromHeaders } : {}),
      ...(fromParams.length > 0 ? { fromParams } : {}),
    }];
  });
}

/** The Istio-dialect `authorizations` of the rule's first strategy, if it has the field. */
function authorizationsOf(rule: RuleV1beta1): JwtAuthorization[] | undefined {
  const config = record(rule.accessStrategies[0]?.config);
  if (config === undefined || !Array.isArray(config.authorizations)) return undefined;
  return config.authorizations.map((raw) => {
    const a = record(raw);
    const strings = (v: unknown) => list(v).filter((s): s is string => typeof s === "string");
    return { requiredScopes: strings(a?.requiredScopes), audiences: strings(a?.audiences) };
  });
}

/** RequestAuthentications, one per distinct (selector, issuers, namespace) of jwt rules. */
export function requestAuthenticationsV1beta1(context: V1beta1Context): RequestAuthentication[] {
  const byKey = new Map<string, RequestAuthentication>();
  for (const { rule, backend } of context.rules) {
    if (!jwtSecured(rule) || backend.selector === undefined) continue;
    const authentications = jwtAuthentications(rule);
    const key = requestAuthenticationKey(backend.namespace, backend.selector, authentications);
    if (byKey.has(key)) continue;
    byKey.set(key, {
      apiVersion: SECURITY_V1,
      kind: "RequestAuthentication",
      metadata: {
        generateName: `${context.name}-`,
        namespace: backend.namespace,
        labels: ownerLabels(context.name, context.namespace),
      },
      spec: {
        selector: { matchLabels: { ...backend.selector } },
        jwtRules: authentications.map((a): JWTRule => ({
          issuer: a.issuer,
          jwksUri: a.jwksUri,
          forwardOriginalToken: true,
          ...(a.fromHeaders !== undefined ? { fromHeaders: a.fromHeaders } : {}),
          ...(a.fromParams !== undefined ? { fromParams: a.fromParams } : {}),
        })),
      },
    });
  }
  return [...byKey.values()];
}

/** AuthorizationPolicies for every rule, when the APIRule needs them. */
export function authorizationPoliciesV1beta1(context: V1beta1Context): AuthorizationPolicy[] {
  if (!needsAuthorizationPolicies(context.rules.map((r) => r.rule))) return [];
  return context.rules.flatMap(({ rule, backend }) => {
    if (backend.selector === undefined) return [];
    const selector = backend.selector;
    const operation = {
      methods: [...rule.methods],
      paths: [rule.path === "/.*" ? "/*" : rule.path],
    };
    const to = [{ operation }];
    const source = jwtSecured(rule)
      ? { requestPrincipals: jwtAuthentications(rule).map((a) => `${a.issuer}/*`) }
      : { principals: [securedByOathkeeper(rule) ? OATHKEEPER_PRINCIPAL : INGRESS_PRINCIPAL] };
    const from = [{ source }];
    const authorizations = authorizationsOf(rule) ?? [undefined];
    return authorizations.map((authorization, index): AuthorizationPolicy => {
      const audiences = (authorization?.audiences ?? []).map((aud) => ({
        key: "request.auth.claims[aud]",
        values: [aud],
      }));
      const scopes = authorization?.requiredScopes ?? [];
      const rules = scopes.length > 0
        ? SCOPE_CLAIMS.map((claim) => ({
          from,
          to,
          when: [
            ...scopes.map((s) => ({ key: `request.auth.claims[${claim}]`, values: [s] })),
            ...audiences,
          ],
        }))
        : [{ from, to, ...(audiences.length > 0 ? { when: audiences } : {}) }];
      return {
        apiVersion: SECURITY_V1,
        kind: "AuthorizationPolicy",
        metadata: {
          generateName: `${context.name}-`,
          namespace: backend.namespace,
          labels: {
            ...ownerLabels(context.name, context.namespace),
            [INDEX_LABEL]: String(index),
            [HASH_LABEL]: policyHash(backend.namespace, selector, operation),
          },
        },
        spec: { selector: { matchLabels: { ...selector } }, rules },
      };
    });
  });
}
