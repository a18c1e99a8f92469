/**
 * The v1beta1 `jwt` access strategy in v2 form (docs/spec/conversion.md §5 strategy condition, §7). Its
 * config comes in two dialects: Istio (`authentications`, `authorizations`, copied as they are)
 * and Ory (`trusted_issuers`, `jwks_urls`, `required_scope`, `target_audience`), which converts
 * only with exactly one issuer and one JWKS URL.
 */
import { JwtConfig } from "../apirule/v2.ts";
import { array, object, string } from "../schema/build.ts";
import { decodeShape } from "./_decode.ts";
import { type FieldError, type HubJwt, ok, type Result } from "./_types.ts";

/** The Ory Oathkeeper jwt authenticator keys upstream reads (`ory.JWTAccStrConfig`). */
const OryJwtConfig = object({
  trusted_issuers: array(string()),
  jwks_urls: array(string()),
  required_scope: array(string()),
  target_audience: array(string()),
});

/**
 * The v2 `jwt` of one v1beta1 `jwt` strategy config, or `undefined` when it is not convertible
 * (no config, or neither dialect applies). A known key of the wrong JSON type is an error, as it
 * is upstream; `path` names the config in that error.
 */
export function hubJwtOf(
  config: Record<string, unknown> | undefined,
  path: string,
): Result<HubJwt | undefined, FieldError> {
  if (config === undefined) return ok(undefined);
  const istio = decodeShape(JwtConfig, config, path);
  if (!istio.ok) return istio;
  const { authentications, authorizations } = istio.value;
  if ((authentications?.length ?? 0) > 0 || (authorizations?.length ?? 0) > 0) {
    return ok({
      ...(authentications !== undefined ? { authentications } : {}),
      ...(authorizations !== undefined ? { authorizations } : {}),
    });
  }
  const ory = decodeShape(OryJwtConfig, config, path);
  if (!ory.ok) return ory;
  const { trusted_issuers, jwks_urls, required_scope, target_audience } = ory.value;
  const [issuer] = trusted_issuers ?? [];
  const [jwksUri] = jwks_urls ?? [];
  if (trusted_issuers?.length !== 1 || jwks_urls?.length !== 1) return ok(undefined);
  if (issuer === undefined || jwksUri === undefined) return ok(undefined);
  return ok({
    authentications: [{ issuer, jwksUri }],
    authorizations: [{
      ...(required_scope !== undefined ? { requiredScopes: required_scope } : {}),
      ...(target_audience !== undefined ? { audiences: target_audience } : {}),
    }],
  });
}

/** Several `jwt` strategies in one rule merge in order, later keys winning (upstream). */
export function mergeJwt(earlier: HubJwt | undefined, later: HubJwt): HubJwt {
  return { ...earlier, ...later };
}
