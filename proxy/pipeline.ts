/**
 * The ext_authz decision pipeline (STYLE §8): match a rule → authenticate → authorize →
 * upstream headers. Each step returns a value; the first deny ends the run. The embedded
 * gateway reuses `decide()` in-process with the same index and verifier.
 */
import { type Allow, allow, bearerChallenge, type Deny, deny } from "../core/authz/decision.ts";
import type { PolicyIndex } from "../core/authz/policy_index.ts";
import type { CompiledRule, JwtRequirement } from "../core/authz/rule.ts";
import type { Deadline } from "./jwt/jwks.ts";
import { type AuthnStep, NOT_RESPONSIBLE, runChain } from "./authn/chain.ts";
import { authenticateJwt, type JwtAuthenticated, unauthorized } from "./jwt/authenticate.ts";
import type { TokenVerifier } from "./jwt/verifier.ts";
import type {
  AccessStrategyEngine,
  CheckInput,
  Identity,
  Outcome,
  PipelineOptions,
  RateLimitStep,
} from "./outcome.ts";

export type {
  AccessStrategyEngine,
  CheckInput,
  Identity,
  Outcome,
  PipelineOptions,
  RateLimitStep,
} from "./outcome.ts";

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = Object.freeze({
  realm: "apigw",
  missingTokenStatus: 401,
});

/** What the pipeline needs: a rule snapshot and a token verifier. */
export interface PipelineDeps extends RuleDeps {
  index: PolicyIndex;
}

/** What deciding a matched rule needs: a token verifier, the other steps. */
export interface RuleDeps {
  verifier: TokenVerifier;
  options: PipelineOptions;
  /** The global rate limit step (`proxy/ratelimit/`), run on every outcome. */
  rateLimit?: RateLimitStep;
  /** Decides APIRule v1beta1 rules (Oathkeeper access strategies and mutators). */
  accessStrategies?: AccessStrategyEngine;
}

/**
 * Runs the pipeline for one canonical request. The answer is synchronous when nothing has to be
 * waited for (no rule, no token needed, or a token the cache has verified): that is most checks,
 * and it lets the HTTP handler answer without a promise round trip. Remote work (JWKS) makes it
 * a promise.
 */
export function decide(
  input: CheckInput,
  deps: PipelineDeps,
  deadline?: Deadline,
): Outcome | Promise<Outcome> {
  const rule = deps.index.match(input.request);
  if (rule === undefined) {
    return limited({ decision: deny("match", 404, "no_rule_matched") }, input, deps);
  }
  return decideRule(rule, input, deps, deadline);
}

/**
 * Steps 2–4 and the rate limit on a rule already matched: the embedded gateway's routing matched
 * it once, on the same policy index, and `decide()` matched it just above.
 */
export function decideRule(
  rule: CompiledRule,
  input: CheckInput,
  deps: RuleDeps,
  deadline?: Deadline,
): Outcome | Promise<Outcome> {
  return limited(decideAccess(rule, input, deps, deadline), input, deps);
}

function limited(
  outcome: Outcome | Promise<Outcome>,
  input: CheckInput,
  deps: RuleDeps,
): Outcome | Promise<Outcome> {
  const step = deps.rateLimit;
  if (step === undefined) return outcome;
  return outcome instanceof Promise
    ? outcome.then((settled) => step.apply(settled, input))
    : step.apply(outcome, input);
}

function decideAccess(
  rule: CompiledRule,
  input: CheckInput,
  deps: RuleDeps,
  deadline?: Deadline,
): Outcome | Promise<Outcome> {
  if (rule.auth.kind === "accessStrategies") {
    if (deps.accessStrategies === undefined) {
      return { decision: deny("authenticate", 503, "access_strategies_not_served"), rule };
    }
    return deps.accessStrategies.decide(rule, input, deadline);
  }
  const identity = authenticate(rule, input, deps, deadline);
  return identity instanceof Promise
    ? identity.then((settled) => finish(rule, settled, deps.options))
    : finish(rule, identity, deps.options);
}

/** Steps 3 and 4 after authentication. */
function finish(rule: CompiledRule, identity: Identity | Deny, options: PipelineOptions): Outcome {
  if ("allow" in identity) return { decision: identity, rule };
  const authorized = authorize(rule, identity, options);
  if (!authorized.allow) return { decision: authorized, rule, identity };
  return {
    decision: { ...authorized, upstreamHeaders: upstreamHeaders(rule, identity) },
    rule,
    identity,
  };
}

type Authenticated = Identity | Deny;

/** Step 2: who is calling, per the rule's kind; "no token" is only a deny where one is needed. */
export function authenticate(
  rule: CompiledRule,
  input: CheckInput,
  deps: RuleDeps,
  deadline?: Deadline,
): Authenticated | Promise<Authenticated> {
  const { realm, missingTokenStatus } = deps.options;
  return runChain(
    authenticatorsOf(rule.auth),
    (authenticator): AuthnStep<Identity> | Promise<AuthnStep<Identity>> => {
      switch (authenticator.kind) {
        case "anonymous":
          return ANONYMOUS;
        case "deny":
          return authenticator.deny;
        case "jwt": {
          const found = authenticateJwt(authenticator.jwt, input, deps.verifier, realm, deadline);
          return found instanceof Promise ? found.then(responsible) : responsible(found);
        }
      }
    },
    // A v2 rule whose token is missing: DP-JWT-2.
    () =>
      deny("authenticate", missingTokenStatus, "missing_token", {
        wwwAuthenticate: bearerChallenge(realm),
      }),
  );
}

/** What a v2 rule's chain holds: one authenticator per rule kind. */
type V2Authenticator =
  | { kind: "anonymous" }
  | { kind: "deny"; deny: Deny }
  | { kind: "jwt"; jwt: JwtRequirement };

const ANONYMOUS: Identity = Object.freeze({ kind: "anonymous" });
const ANONYMOUS_CHAIN: readonly V2Authenticator[] = Object.freeze([{ kind: "anonymous" }]);
const EXT_AUTH_NOT_SERVED: readonly V2Authenticator[] = Object.freeze([
  { kind: "deny", deny: deny("authenticate", 403, "ext_auth_not_served") },
]);
const chains = new WeakMap<JwtRequirement, readonly V2Authenticator[]>();

function authenticatorsOf(auth: CompiledRule["auth"]): readonly V2Authenticator[] {
  if (auth.kind === "noAuth" || auth.kind === "accessStrategies") return ANONYMOUS_CHAIN;
  if (auth.kind === "extAuth" && !auth.served) return EXT_AUTH_NOT_SERVED;
  const jwt = auth.kind === "jwt" ? auth.jwt : auth.restrictions;
  if (jwt === undefined) return ANONYMOUS_CHAIN;
  let chain = chains.get(jwt);
  if (chain === undefined) chains.set(jwt, chain = [{ kind: "jwt", jwt }]);
  return chain;
}

/** No token is "not responsible": the chain's end answers `missing_token`. */
function responsible(found: JwtAuthenticated): AuthnStep<Identity> {
  return found === "no_token" ? NOT_RESPONSIBLE : found;
}

/** Step 3: the rule's authorizations against the identity; scope and audience run every time. */
export function authorize(
  rule: CompiledRule,
  identity: Identity,
  options: PipelineOptions,
): Allow | Deny {
  const auth = rule.auth;
  if (auth.kind === "noAuth" || auth.kind === "accessStrategies") {
    return allow("authorize", "no_auth");
  }
  const jwt = auth.kind === "jwt" ? auth.jwt : auth.restrictions;
  const reason = auth.kind === "jwt" ? "jwt_valid" : "ext_auth_allowed";
  if (jwt === undefined || identity.kind !== "jwt") return allow("authorize", reason);
  return unauthorized(identity.payload, jwt.authorizations, options.realm) ??
    allow("authorize", reason);
}

/**
 * Step 4: headers for the upstream request. APIRule v2 rules forward the original token
 * (Kyma sets `forwardOriginalToken: true`) and add no identity headers; mutators (a follow-up)
 * add theirs here, each listed in `headersToUpstreamOnAllow` (§8 #12).
 */
export function upstreamHeaders(
  _rule: CompiledRule,
  _identity: Identity,
): Readonly<Record<string, string>> {
  return {};
}
