/**
 * JWT checks of APIRule v2 (docs/spec/apirule-v2.md §13.3): J1–J9d for the `jwt` of a rule or the
 * `extAuth.restrictions` of one, and J10 across the jwt rules of an APIRule.
 */
import type { JwtAuthentication, JwtAuthorization } from "../apirule/v2.ts";
import type { Failure } from "./failure.ts";
import { invalidURIError } from "./_uri.ts";

/** A JWT config as the checks read it: lists may hold nulls when the schema did not run. */
export interface JwtConfigInput {
  authentications?: readonly JwtAuthentication[];
  authorizations?: readonly (JwtAuthorization | null)[];
}

/** J1–J9d. `prefix` is `.spec.rules[i].jwt`, or `.spec.rules[i].extAuth` for restrictions (Q6). */
export function jwtConfigFailures(prefix: string, config: JwtConfigInput): Failure[] {
  const authentications = config.authentications ?? [];
  return [
    // J1: only reachable through v2alpha1, where an empty list is stored as written (§2.3).
    ...authorizationFailures(
      `${prefix}.authorizations`,
      config.authorizations,
      "authorizations defined, but no configuration exists",
    ),
    ...(authentications.length === 0
      ? [{
        attributePath: `${prefix}.authentications`,
        message: "A JWT config must have at least one authentication",
      }] // J7
      : authenticationFailures(`${prefix}.authentications`, authentications)),
  ];
}

/** J1–J6 for `authorizations` at `path`; `emptyList` is the message for an empty list. */
export function authorizationFailures(
  path: string,
  authorizations: readonly (JwtAuthorization | null)[] | undefined,
  emptyList: string,
): Failure[] {
  if (authorizations === undefined) return [];
  if (authorizations.length === 0) return [{ attributePath: path, message: emptyList }];
  return authorizations.flatMap((authorization, k): Failure[] => {
    if (authorization === null) {
      return [{ attributePath: `${path}[${k}]`, message: "authorization is empty" }]; // J2
    }
    const failures: Failure[] = [];
    const scopes = listFailure(authorization.requiredScopes, "scope value is empty"); // J3, J4
    if (scopes) failures.push({ attributePath: `${path}[${k}].requiredScopes`, message: scopes });
    const audiences = listFailure(authorization.audiences, "audience value is empty"); // J5, J6
    if (audiences) failures.push({ attributePath: `${path}[${k}].audiences`, message: audiences });
    return failures;
  });
}

function listFailure(values: readonly string[] | undefined, emptyItem: string): string {
  if (values === undefined) return "";
  if (values.length === 0) return "value is empty";
  return values.includes("") ? emptyItem : "";
}

/** J8–J9d for each of `authentications` (a non-empty list) at `path`. */
export function authenticationFailures(
  path: string,
  authentications: readonly JwtAuthentication[],
): Failure[] {
  const failures: Failure[] = [];
  let hadHeaders = false;
  let hadParams = false;
  for (const [k, authentication] of authentications.entries()) {
    const at = `${path}[${k}]`;
    const issuerError = issuerFailure(authentication.issuer); // J8
    if (issuerError !== undefined) failures.push(uriFailure(`${at}.issuer`, issuerError));
    const jwksError = invalidURIError(authentication.jwksUri); // J9
    if (jwksError !== undefined) failures.push(uriFailure(`${at}.jwksUri`, jwksError));
    const headers = authentication.fromHeaders ?? [];
    const params = authentication.fromParams ?? [];
    if (headers.length > 0) {
      if (hadParams) failures.push(mixture(`${at}.fromHeaders`)); // J9a
      hadHeaders = true;
    }
    if (params.length > 0) {
      if (hadHeaders) failures.push(mixture(`${at}.fromParams`)); // J9b
      hadParams = true;
    }
    if (headers.length > 1) {
      failures.push({
        attributePath: `${at}.fromHeaders`,
        message: "multiple fromHeaders are not supported",
      }); // J9c
    }
    if (params.length > 1) {
      failures.push({
        attributePath: `${at}.fromParams`,
        message: "multiple fromParams are not supported",
      }); // J9d
    }
  }
  return failures;
}

/** An issuer must be non-empty; one with a `:` must be a URI (RFC 7519 §4.1.1). */
export function issuerFailure(issuer: string): string | undefined {
  if (issuer === "") return "value is empty";
  return issuer.includes(":") ? invalidURIError(issuer) : undefined;
}

function uriFailure(attributePath: string, error: string): Failure {
  return { attributePath, message: `value is empty or not a valid uri err=${error}` };
}

function mixture(attributePath: string): Failure {
  return {
    attributePath,
    message: "mixture of multiple fromHeaders and fromParams is not supported",
  };
}

/** A jwt rule for J10: its index in `spec.rules` and its authentications. */
export interface JwtRule {
  index: number;
  authentications: readonly JwtAuthentication[];
}

/**
 * J10: authentications with the same issuer and JWKS URI must extract the token the same way,
 * because they end up in one RequestAuthentication (§11). Upstream keys them by the
 * concatenation `issuer + jwksUri`, so `a` + `bc` collides with `ab` + `c` and fails a valid
 * APIRule; the pair is the key here.
 */
export function jwtConsistencyFailures(rules: readonly JwtRule[]): Failure[] {
  const first = new Map<string, JwtAuthentication>();
  const failures: Failure[] = [];
  for (const rule of rules) {
    for (const [k, authentication] of rule.authentications.entries()) {
      const key = JSON.stringify([authentication.issuer, authentication.jwksUri]);
      const earlier = first.get(key);
      if (earlier === undefined) first.set(key, authentication);
      else if (!sameExtraction(earlier, authentication)) {
        failures.push({
          attributePath: `.spec.rules[${rule.index}].jwt.authentications[${k}]`,
          message: "multiple jwt configurations that differ for the same issuer",
        });
      }
    }
  }
  return failures;
}

/** Equal `fromHeaders` (name and prefix, in order) and `fromParams` (in order). */
export function sameExtraction(a: JwtAuthentication, b: JwtAuthentication): boolean {
  const headers = (x: JwtAuthentication) =>
    JSON.stringify((x.fromHeaders ?? []).map((h) => [h.name, h.prefix ?? ""]));
  const params = (x: JwtAuthentication) => JSON.stringify(x.fromParams ?? []);
  return headers(a) === headers(b) && params(a) === params(b);
}
