/**
 * RequestAuthentications of an APIRule v2 (docs/spec/apirule-v2.md §11): one per distinct (service
 * namespace, selector, issuer/JWKS list) among jwt rules and extAuth rules with restrictions.
 */
import type { JwtAuthentication } from "../../api/apirule/v2.ts";
import { type JWTRule, type RequestAuthentication, SECURITY_V1 } from "../istio/types.ts";
import type { APIRuleContext } from "./context.ts";
import { ownerLabels } from "./labels.ts";

/** The desired RequestAuthentications, deduplicated by key, in first-seen order. */
export function requestAuthenticationsFor(context: APIRuleContext): RequestAuthentication[] {
  const byKey = new Map<string, RequestAuthentication>();
  for (const { rule, service } of context.rules) {
    const authentications = rule.jwt?.authentications ??
      rule.extAuth?.restrictions?.authentications;
    if (authentications === undefined || authentications.length === 0) continue;
    if (rule.jwt === undefined && rule.extAuth?.restrictions === undefined) continue;
    const key = requestAuthenticationKey(service.namespace, service.selector, authentications);
    if (byKey.has(key)) continue;
    byKey.set(key, {
      apiVersion: SECURITY_V1,
      kind: "RequestAuthentication",
      metadata: {
        generateName: `${context.name}-`,
        namespace: service.namespace,
        labels: ownerLabels(context.name, context.namespace),
      },
      spec: {
        selector: { matchLabels: { ...service.selector } },
        jwtRules: authentications.map(jwtRuleFor),
      },
    });
  }
  return [...byKey.values()];
}

/** The identity of a RequestAuthentication; labels sorted so the key is stable (defect D4). */
export function requestAuthenticationKey(
  namespace: string,
  selector: Readonly<Record<string, string>>,
  authentications: readonly Pick<JwtAuthentication, "issuer" | "jwksUri">[],
): string {
  const labels = Object.entries(selector).map(([k, v]) => `${k}=${v}`).sort().join(",");
  const issuers = authentications.map((a) => `${a.issuer}:${a.jwksUri}`).join("");
  return `${labels}:${issuers}:${namespace}`;
}

function jwtRuleFor(authentication: JwtAuthentication): JWTRule {
  const headers = authentication.fromHeaders ?? [];
  const params = authentication.fromParams ?? [];
  return {
    issuer: authentication.issuer,
    jwksUri: authentication.jwksUri,
    forwardOriginalToken: true,
    ...(headers.length > 0
      ? {
        fromHeaders: headers.map((h) => ({
          name: h.name,
          ...(h.prefix !== undefined && h.prefix !== "" ? { prefix: h.prefix } : {}),
        })),
      }
      : {}),
    ...(params.length > 0 ? { fromParams: [...params] } : {}),
  };
}
