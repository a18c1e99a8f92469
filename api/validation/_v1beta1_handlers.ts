/**
 * Handler config checks of APIRule v1beta1 (docs/spec/apirule-v1beta1.md §3.1, §10.3–§10.5, §10.7): the
 * `jwt` config in the Ory and the Istio dialect, configs of handlers that take none, and the
 * cross-rule JWT consistency of Istio mode.
 */
import type { JwtAuthentication } from "../apirule/v2.ts";
import type { Failure } from "./failure.ts";
import { authenticationFailures, authorizationFailures, sameExtraction } from "./jwt.ts";
import { goDecodeError } from "./_go_json.ts";
import { isRecord } from "./_guards.ts";
import { invalidURIError } from "./_uri.ts";
import { goStrings, ISTIO_JWT, jwtConfigOf, ORY_JWT } from "./_v1beta1_jwt_config.ts";

/** Upstream's "no config": absent, `null` or `{}`. */
export function configEmpty(config: unknown): boolean {
  return config === undefined || config === null ||
    (isRecord(config) && Object.keys(config).length === 0);
}

/** A handler that takes no config must not have one; `s` is `.spec.rules[i].accessStrategies[j]`. */
export function noConfigFailures(s: string, handler: string, config: unknown): Failure[] {
  return configEmpty(config) ? [] : [{
    attributePath: `${s}.config`,
    message: `strategy: ${handler} does not support configuration`,
  }];
}

/** §10.4: a `jwt` config in Ory mode. */
export function oryJwtFailures(s: string, config: unknown): Failure[] {
  if (configEmpty(config)) {
    return [{ attributePath: `${s}.config`, message: "supplied config cannot be empty" }];
  }
  const decodeError = goDecodeError(config, ORY_JWT);
  if (decodeError !== undefined || !isRecord(config)) return [cantRead(`${s}.config`, decodeError)];
  const failures: Failure[] = [];
  const istioError = goDecodeError(config, ISTIO_JWT);
  if (istioError !== undefined) failures.push(cantRead(`${s}.config`, istioError));
  else if (Array.isArray(config.authentications) && config.authentications.length > 0) {
    failures.push({
      attributePath: `${s}.config.authentications`,
      message: "Configuration for authentications is not supported with Ory handler",
    });
  }
  for (const key of ["trusted_issuers", "jwks_urls"]) {
    for (const [k, uri] of goStrings(config[key]).entries()) {
      const error = invalidURIError(uri);
      if (error !== undefined) {
        failures.push({
          attributePath: `${s}.config.${key}[${k}]`,
          message: `value is empty or not a valid uri err=${error}`,
        });
      }
    }
  }
  return failures;
}

// Upstream names `required_scope` as `required_scopes` in path and message.
const ORY_KEYS = {
  jwks_urls: "jwks_urls",
  required_scope: "required_scopes",
  trusted_issuers: "trusted_issuers",
};

/** §10.5: a `jwt` config in Istio mode. */
export function istioJwtFailures(s: string, config: unknown): Failure[] {
  if (configEmpty(config)) {
    return [{ attributePath: `${s}.config`, message: "supplied config cannot be empty" }];
  }
  const decodeError = goDecodeError(config, ISTIO_JWT);
  if (decodeError !== undefined || !isRecord(config)) return [cantRead(`${s}.config`, decodeError)];
  const failures: Failure[] = [];
  const oryError = goDecodeError(config, ORY_JWT);
  if (oryError !== undefined) failures.push(cantRead(`${s}.config`, oryError));
  else {
    for (const [key, shown] of Object.entries(ORY_KEYS)) {
      if (goStrings(config[key]).length > 0) {
        failures.push({
          attributePath: `${s}.config.${shown}`,
          message: `Configuration for ${shown} is not supported with Istio handler`,
        });
      }
    }
  }
  const jwt = jwtConfigOf(config);
  failures.push(
    ...authorizationFailures(`${s}.config.authorizations`, jwt.authorizations, "value is empty"),
  );
  const authentications = jwt.authentications ?? [];
  if (authentications.length === 0) {
    failures.push({
      attributePath: s,
      message: "Authentications are required when using JWT access handler",
    });
  } else failures.push(...authenticationFailures(`${s}.config.authentications`, authentications));
  return failures;
}

/** A strategy config for the Istio-mode cross-rule check. */
export interface StrategyConfig {
  rule: number;
  strategy: number;
  config: unknown;
}

/**
 * §10.7: authentications with the same issuer and JWKS URI must extract the token the same way,
 * across every strategy config of every rule. An undecodable config ends the check.
 */
export function istioJwtConsistencyFailures(configs: readonly StrategyConfig[]): Failure[] {
  const first = new Map<string, JwtAuthentication>();
  const failures: Failure[] = [];
  for (const { rule, strategy, config } of configs) {
    const at = `.spec.rules[${rule}].accessStrategy[${strategy}]`;
    const error = goDecodeError(config, ISTIO_JWT);
    if (error !== undefined) return [...failures, cantRead(at, error)];
    for (const [k, authentication] of (jwtConfigOf(config).authentications ?? []).entries()) {
      const key = JSON.stringify([authentication.issuer, authentication.jwksUri]);
      const earlier = first.get(key);
      if (earlier === undefined) first.set(key, authentication);
      else if (!sameExtraction(earlier, authentication)) {
        failures.push({
          attributePath: `${at}.config.authentications[${k}]`,
          message: "multiple jwt configurations that differ for the same issuer",
        });
      }
    }
  }
  return failures;
}

function cantRead(attributePath: string, error: string | undefined): Failure {
  return { attributePath, message: `Can't read json: ${error ?? "expected an object"}` };
}
