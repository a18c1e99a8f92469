/**
 * The v1beta1 access-strategy engine, Oathkeeper's authenticate → authorize (`allow`) → mutate
 * pipeline on apigw's decision values: strategies are tried in rule order on the authenticator
 * chain v2 rules run on too (`proxy/authn/chain.ts`); one that finds no credential of its kind is
 * "not responsible" and the next is tried; the first that is
 * responsible decides (success, or a deny that ends the chain); none responsible → 401. On
 * success the mutators render the upstream headers.
 */
import { bearerChallenge, type Deny, deny } from "../../core/authz/decision.ts";
import { checkClaims, checkIntrospected } from "../../core/authz/oathkeeper/checks.ts";
import type {
  AccessStrategy,
  CookieSession,
  Introspection,
  OryJwt,
} from "../../core/authz/oathkeeper/strategies.ts";
import {
  authenticateJwt,
  invalidToken as sharedInvalidToken,
  type JwtAuthenticated,
  unauthorized,
} from "../jwt/authenticate.ts";
import type { Deadline } from "../jwt/jwks.ts";
import { type AuthnStep, runChain } from "../authn/chain.ts";
import type { TokenVerifier } from "../jwt/verifier.ts";
import type { AccessStrategyEngine, CheckInput, Outcome } from "../outcome.ts";
import type { SessionChecker } from "./cookie_session.ts";
import type { IdTokenSigner } from "./id_token.ts";
import { mutateSession } from "./mutate.ts";
import { introspectionSession, type Session, session, sessionOf } from "./session.ts";
import type { Introspected, Introspector } from "./introspection.ts";
import type { OryJwtVerifier } from "./ory_jwt.ts";
import { oryToken, parseCookies } from "./token_from.ts";

export type { AccessStrategyEngine, Session };

export interface EngineDeps {
  /** For `jwt` rules in the Istio dialect. */
  verifier: TokenVerifier;
  oryJwt: OryJwtVerifier;
  introspector: Introspector;
  sessions: SessionChecker;
  signer: IdTokenSigner;
  realm?: string;
  now?: () => number;
}

type Step = AuthnStep<Session>;

/** Creates the engine. */
export function createAccessStrategyEngine(deps: EngineDeps): AccessStrategyEngine {
  const realm = deps.realm ?? "apigw";
  const now = deps.now ?? Date.now;

  function authenticate(
    strategy: AccessStrategy,
    input: CheckInput,
    deadline: Deadline | undefined,
  ): Step | Promise<Step> {
    switch (strategy.kind) {
      case "allow":
        return session(strategy.handler, "", "allow_strategy");
      case "noop":
        return session("noop", "", "noop_strategy");
      case "unauthorized":
        return deny("authenticate", 401, "unauthorized_strategy");
      case "anonymous":
        return input.headers.get("authorization") !== null
          ? "not_responsible"
          : session("anonymous", strategy.subject, "anonymous_strategy");
      case "jwt":
        return oryJwt(strategy, input, deadline);
      case "jwt_istio":
        return istioJwt(strategy.jwt, input, deadline);
      case "oauth2_introspection":
        return introspection(strategy, input, deadline);
      case "cookie_session":
        return cookieSession(strategy, input, deadline);
    }
  }

  function oryJwt(strategy: OryJwt, input: CheckInput, deadline?: Deadline): Step | Promise<Step> {
    const read = oryToken(strategy.tokenFrom, input);
    if (read.kind === "ambiguous") return invalidToken("ambiguous_token");
    // Oathkeeper: no token, or one that is not a JWS compact form, is someone else's.
    if (read.kind === "none" || read.token.split(".").length !== 3) return "not_responsible";
    const token = read.token;
    const finish = (verified: Awaited<ReturnType<OryJwtVerifier["verify"]>>): Step => {
      if (!verified.ok) {
        return verified.status === 503
          ? deny(
            verified.reason === "deadline_exceeded" ? "deadline" : "authenticate",
            503,
            verified.reason,
          )
          : invalidToken(verified.reason, verified.detail);
      }
      const checked = checkClaims(verified.payload, strategy, now() / 1000);
      if (!checked.ok) return claimDeny(checked);
      return sessionOf("jwt", verified.payload, "jwt_valid");
    };
    const cached = deps.oryJwt.cached(token, strategy);
    return cached !== undefined
      ? finish(cached)
      : deps.oryJwt.verify(token, strategy, deadline).then(finish);
  }

  function istioJwt(
    jwt: Extract<AccessStrategy, { kind: "jwt_istio" }>["jwt"],
    input: CheckInput,
    deadline?: Deadline,
  ): Step | Promise<Step> {
    const finish = (found: JwtAuthenticated): Step => {
      if (found === "no_token") return "not_responsible";
      if ("allow" in found) return found;
      return unauthorized(found.payload, jwt.authorizations, realm) ??
        sessionOf("jwt", found.payload, "jwt_valid");
    };
    const found = authenticateJwt(jwt, input, deps.verifier, realm, deadline);
    return found instanceof Promise ? found.then(finish) : finish(found);
  }

  function introspection(
    strategy: Introspection,
    input: CheckInput,
    deadline?: Deadline,
  ): Step | Promise<Step> {
    const read = oryToken(strategy.tokenFrom, input);
    if (read.kind === "ambiguous") return invalidToken("ambiguous_token");
    if (read.kind === "none" || !read.token.startsWith(strategy.prefix)) return "not_responsible";
    const token = read.token;
    if (token.length > 8 * 1024) return invalidToken("token_too_large");
    const finish = (answer: Introspected): Step => {
      switch (answer.kind) {
        case "rate_limited":
          return deny("authenticate", 429, "introspection_rate_limited");
        case "circuit_open":
        case "failed":
          if (strategy.onError === "fail_open") {
            return session("oauth2_introspection", "", "open_on_error");
          }
          if (answer.kind === "failed" && answer.late) {
            return deny("deadline", 503, "deadline_exceeded");
          }
          return deny(
            "authenticate",
            503,
            answer.kind === "failed" ? "introspection_failed" : "circuit_open",
            {
              ...(answer.kind === "failed"
                ? { detail: `Introspection failed: ${answer.detail}` }
                : {}),
            },
          );
        case "result": {
          const checked = checkIntrospected(answer.result, strategy, now() / 1000);
          if (!checked.ok) return claimDeny(checked);
          return introspectionSession(answer.result);
        }
      }
    };
    const cached = deps.introspector.cached(token, strategy);
    if (cached !== undefined) return finish(cached);
    return deps.introspector.introspect(token, strategy, {
      host: input.request.host,
      ...(deadline !== undefined ? { deadline } : {}),
    }).then(finish);
  }

  function cookieSession(
    strategy: CookieSession,
    input: CheckInput,
    deadline?: Deadline,
  ): Step | Promise<Step> {
    const cookies = parseCookies(input.headers.get("cookie"));
    const kept = strategy.only.length === 0
      ? cookies
      : cookies.filter(([name]) => strategy.only.includes(name));
    if (kept.length === 0) return "not_responsible";
    return deps.sessions.check(strategy, {
      method: input.request.method,
      host: input.request.host,
      path: input.request.path,
      query: input.request.query,
      headers: input.headers,
      cookie: kept.map(([n, v]) => `${n}=${v}`).join("; "),
    }, deadline).then((checked): Step => {
      switch (checked.kind) {
        case "invalid":
          return deny("authenticate", 401, "session_invalid");
        case "circuit_open":
          return deny("authenticate", 503, "circuit_open");
        case "failed":
          return checked.late
            ? deny("deadline", 503, "deadline_exceeded")
            : deny("authenticate", 503, "session_check_failed", {
              detail: `Session check failed: ${checked.detail}`,
            });
        case "session":
          return {
            handler: "cookie_session",
            subject: checked.subject,
            extra: checked.extra,
            reason: "session_valid",
          };
      }
    });
  }

  function claimDeny(checked: Exclude<ReturnType<typeof checkClaims>, { ok: true }>): Deny {
    if (checked.status === 401) return invalidToken(checked.reason);
    return deny("authorize", 403, checked.reason, {
      wwwAuthenticate: bearerChallenge(realm, "insufficient_scope", checked.scopes),
    });
  }

  function invalidToken(reason: Deny["reason"], detail?: string): Deny {
    return sharedInvalidToken(realm, reason, detail);
  }

  return {
    decide(rule, input, deadline) {
      if (rule.auth.kind !== "accessStrategies") {
        throw new TypeError(`Rule "${rule.id}" has no access strategies`);
      }
      const authenticated = runChain(
        rule.auth.strategies,
        (strategy) => authenticate(strategy, input, deadline),
        () =>
          deny("authenticate", 401, "no_strategy_responsible", {
            wwwAuthenticate: bearerChallenge(realm),
          }),
      );
      const settle = (s: Session | Deny): Outcome | Promise<Outcome> =>
        "allow" in s ? { decision: s, rule } : mutateSession(rule, s, input, deps.signer);
      return authenticated instanceof Promise ? authenticated.then(settle) : settle(authenticated);
    },
  };
}
