/**
 * Whether a v1beta1 rule list has a v2 form (docs/spec/conversion.md §5): all or nothing. Every rule needs a
 * path in the v2 grammar and only access strategies that v2 can express.
 */
import { ExtAuth, PATH_PATTERN } from "../apirule/v2.ts";
import { decodeShape } from "./_decode.ts";
import {
  type FieldError,
  type HubExtAuth,
  type HubJwt,
  ok,
  type Result,
  type V1beta1Handler,
  type V1beta1Rule,
} from "./_types.ts";
import { hubJwtOf } from "./jwt.ts";

const V2_PATH = new RegExp(PATH_PATTERN);

/**
 * The handler name apigw gives `extAuth` in the v1beta1 view of a v2 object (from_hub.ts), the
 * one older upstream releases used; converting it back restores `extAuth` from its config.
 */
export const EXT_AUTH_HANDLER = "ext-auth";

/** What one convertible access strategy contributes to the v2 rule. */
export type StrategyConversion =
  | { kind: "noAuth" }
  | { kind: "jwt"; jwt: HubJwt }
  | { kind: "extAuth"; extAuth: HubExtAuth };

/** Tells whether `path` fits the v2 path grammar (`/a/{*}/b`, `/{**}`, or exactly `/*`). */
export function isConvertiblePath(path: string): boolean {
  return V2_PATH.test(path);
}

/**
 * The v2 form of one access strategy, or `undefined` when it has none: `no_auth`, a `jwt` whose
 * config converts (§7), and apigw's `ext-auth` with a config convert; every other handler does not.
 */
export function strategyConversion(
  strategy: V1beta1Handler,
  path: string,
): Result<StrategyConversion | undefined, FieldError> {
  switch (strategy.handler) {
    case "no_auth":
      return ok({ kind: "noAuth" });
    case "jwt": {
      const jwt = hubJwtOf(strategy.config, `${path}.config`);
      if (!jwt.ok) return jwt;
      return ok(jwt.value === undefined ? undefined : { kind: "jwt", jwt: jwt.value });
    }
    case EXT_AUTH_HANDLER: {
      if (strategy.config === undefined) return ok(undefined);
      const extAuth = decodeShape(ExtAuth, strategy.config, `${path}.config`);
      if (!extAuth.ok) return extAuth;
      return ok({ kind: "extAuth", extAuth: extAuth.value });
    }
    default:
      return ok(undefined);
  }
}

/**
 * Tells whether every rule converts. Rules are walked in order, the path before the strategies;
 * the first inconvertible item ends the walk, so configs after it are never decoded (§5).
 */
export function isFullyConvertible(
  rules: readonly V1beta1Rule[],
  path: string,
): Result<boolean, FieldError> {
  for (const [index, rule] of rules.entries()) {
    if (!isConvertiblePath(rule.path ?? "")) return ok(false);
    for (const [position, strategy] of (rule.accessStrategies ?? []).entries()) {
      const converted = strategyConversion(
        strategy,
        `${path}[${index}].accessStrategies[${position}]`,
      );
      if (!converted.ok) return converted;
      if (converted.value === undefined) return ok(false);
    }
  }
  return ok(true);
}
