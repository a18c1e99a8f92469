/**
 * APIRule v1beta1 access strategies served by `apigw authz` (`jwtHandler: apigw`). A check of a
 * v1beta1 rule flows: `decide()` (proxy/pipeline.ts) matched the rule → `AccessStrategyEngine`
 * tries its strategies in order (Ory `jwt` via the shared JWKS manager, Istio-dialect `jwt` via
 * the JWT verifier, `oauth2_introspection` via the cached, breaker-guarded introspector,
 * `cookie_session` via the session checker) → mutators render headers, `id_token` signs with the
 * rotating key whose JWKS the management listener serves.
 */
export {
  type AccessStrategyEngine,
  createAccessStrategyEngine,
  type EngineDeps,
} from "./engine.ts";
export { createBreaker } from "./breaker.ts";
export { createSessionChecker } from "./cookie_session.ts";
export { createIdTokenSigner, type IdTokenSigner } from "./id_token.ts";
export { createIntrospector, type Introspector } from "./introspection.ts";
export { createOryJwtVerifier } from "./ory_jwt.ts";
export { createEngine } from "./wiring.ts";
