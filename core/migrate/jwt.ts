/**
 * `jwt` access strategies as v2 `jwt`: the Istio dialect as written; the Ory dialect's
 * `jwks_urls` + `trusted_issuers` as `authentications` of issuer + jwksUri (the issuer from
 * `--issuer` where the rule has none), `required_scope`/`target_audience` as `authorizations`,
 * and `token_from` as `fromHeaders`/`fromParams`, the default written out so nothing widens.
 */
import type { Handler } from "../../api/apirule/v1beta1.ts";
import { compileStrategy, type OryJwt } from "../authz/oathkeeper/strategies.ts";
import type { Result } from "../result.ts";
import type { AuthRewrite, IntendedDifference, MigrateOptions, Step } from "./types.ts";

/** The v2 `jwt` of a rule's only access strategy, a `jwt` handler. */
export function jwtOf(
  handler: Handler,
  index: number,
  options: MigrateOptions,
): Result<AuthRewrite, string[]> {
  const compiled = compileStrategy("jwt", handler.config);
  if (!compiled.ok) return { ok: false, error: [`accessStrategies[0].config: ${compiled.error}`] };
  const strategy = compiled.value;
  if (strategy.kind === "jwt_istio") {
    return {
      ok: true,
      value: {
        fields: { jwt: handler.config },
        steps: [{
          rule: index,
          rewrite: "jwt",
          detail: "jwt in the Istio dialect → jwt, authentications and authorizations as written",
        }],
        intended: [],
      },
    };
  }
  if (strategy.kind !== "jwt") {
    return { ok: false, error: ["accessStrategies[0]: not a jwt strategy"] };
  }
  return oryJwtOf(strategy, index, options);
}

/** The Ory dialect: `jwks_urls` + `trusted_issuers` → `authentications` of issuer + jwksUri. */
function oryJwtOf(
  strategy: OryJwt,
  index: number,
  options: MigrateOptions,
): Result<AuthRewrite, string[]> {
  const where = "accessStrategies[0].config";
  const problems: string[] = [];
  const steps: Step[] = [];
  const intended: IntendedDifference[] = [];
  if (strategy.scopeStrategy !== "exact" && strategy.requiredScope.length > 0) {
    problems.push(
      `${where}.scope_strategy: "${strategy.scopeStrategy}" grants scopes other than the ` +
        "required ones; v2 requiredScopes match exactly",
    );
  }
  const trusted = strategy.trustedIssuers;
  const authentications: Record<string, unknown>[] = [];
  const location = tokenLocationOf(strategy.tokenFrom);
  if (!location.ok) problems.push(`${where}.token_from: ${location.error}`);
  let flagged = false;
  for (const url of strategy.jwksUrls) {
    const flag = options.issuers.get(url);
    let issuers: readonly string[];
    if (flag !== undefined) {
      if (trusted.length > 0 && !trusted.includes(flag)) {
        problems.push(
          `${where}: --issuer ${url}=${flag} names an issuer that is not one of trusted_issuers ` +
            `(${trusted.join(", ")})`,
        );
        continue;
      }
      issuers = [flag];
      flagged = true;
    } else if (trusted.length > 0 && strategy.jwksUrls.length === 1) {
      issuers = trusted;
    } else if (trusted.length > 0) {
      problems.push(
        `${where}: which of trusted_issuers (${trusted.join(", ")}) signs with the keys at ` +
          `"${url}" is not in the rule; pass --issuer ${url}=ISSUER`,
      );
      continue;
    } else {
      problems.push(
        `${where}: the rule trusts any issuer and v2 needs one per JWKS URL; pass ` +
          `--issuer ${url}=ISSUER (the "issuer" of the OpenID configuration)`,
      );
      continue;
    }
    for (const issuer of issuers) {
      authentications.push({
        issuer,
        jwksUri: url,
        ...(location.ok ? location.value : {}),
      });
    }
  }
  if (problems.length > 0) return { ok: false, error: problems };
  const authorization = {
    ...(strategy.requiredScope.length > 0 ? { requiredScopes: [...strategy.requiredScope] } : {}),
    ...(strategy.targetAudience.length > 0 ? { audiences: [...strategy.targetAudience] } : {}),
  };
  const issuerList = [...new Set(authentications.map((a) => String(a.issuer)))].join(", ");
  steps.push({
    rule: index,
    rewrite: "jwt",
    detail: `jwt (jwks_urls ${strategy.jwksUrls.join(", ")}) → jwt.authentications with issuer ` +
      `${issuerList} (${flagged ? "from --issuer" : "from trusted_issuers"})`,
  });
  if (strategy.requiredScope.length > 0) {
    steps.push({
      rule: index,
      rewrite: "jwt",
      detail: `required_scope ${strategy.requiredScope.join(" ")} → authorizations.requiredScopes`,
    });
  }
  if (strategy.targetAudience.length > 0) {
    steps.push({
      rule: index,
      rewrite: "jwt",
      detail: `target_audience ${strategy.targetAudience.join(" ")} → authorizations.audiences`,
    });
  }
  if (location.ok) {
    steps.push({ rule: index, rewrite: "jwt", detail: location.value.describe });
  }
  const v2Algorithms = ["RS256", "ES256", "PS256", "EdDSA"];
  if (v2Algorithms.some((a) => !strategy.allowedAlgorithms.includes(a))) {
    // Not a request the proof can make: its tokens are RS256, which both accept.
    steps.push({
      rule: index,
      rewrite: "jwt",
      detail: `allowed_algorithms ${strategy.allowedAlgorithms.join(", ")} has no v2 form: v2 ` +
        `accepts ${v2Algorithms.join(", ")} signatures by the issuer's keys`,
    });
  }
  if (trusted.length === 0) {
    intended.push({
      rule: index,
      tag: "wrong-issuer",
      why:
        `v1beta1 accepted a token of any issuer signed by the keys; v2 accepts only ${issuerList}`,
    });
  } else {
    intended.push({
      rule: index,
      tag: "wrong-issuer",
      why: "a token of an untrusted issuer is answered 401 (issuer not configured) instead " +
        "of 403 (issuer not trusted)",
    });
  }
  return {
    ok: true,
    value: {
      fields: {
        jwt: {
          authentications: authentications.map(({ describe: _d, ...a }) => a),
          ...(Object.keys(authorization).length > 0 ? { authorizations: [authorization] } : {}),
        },
      },
      steps,
      intended,
    },
  };
}

/** `token_from` as v2 `fromHeaders`/`fromParams`; the default is stated so nothing widens. */
function tokenLocationOf(
  from: OryJwt["tokenFrom"],
): Result<Record<string, unknown> & { describe: string }, string> {
  switch (from.kind) {
    case "bearer":
      return {
        ok: true,
        value: {
          fromHeaders: [{ name: "Authorization", prefix: "Bearer " }],
          describe: "token in Authorization: Bearer → fromHeaders Authorization with prefix " +
            '"Bearer " (the v2 default would also read ?access_token=)',
        },
      };
    case "header":
      return from.name === "authorization" ? tokenLocationOf({ kind: "bearer" }) : {
        ok: true,
        value: {
          fromHeaders: [{ name: from.name }],
          describe: `token_from.header ${from.name} → fromHeaders ${from.name}`,
        },
      };
    case "query":
      return {
        ok: true,
        value: {
          fromParams: [from.name],
          describe: `token_from.query_parameter ${from.name} → fromParams ${from.name}`,
        },
      };
    case "cookie":
      return { ok: false, error: `cookie "${from.name}" has no v2 token location` };
  }
}
