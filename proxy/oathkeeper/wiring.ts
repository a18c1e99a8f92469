/** The engine with its default parts, as `apigw authz`, `apigw explain` and the tests build it. */
import type { JwksManager } from "../jwt/jwks.ts";
import { createTokenCache } from "../jwt/token_cache.ts";
import type { TokenVerifier } from "../jwt/verifier.ts";
import { createSessionChecker } from "./cookie_session.ts";
import { type AccessStrategyEngine, createAccessStrategyEngine } from "./engine.ts";
import { createIdTokenSigner, type IdTokenSigner } from "./id_token.ts";
import {
  createIntrospector,
  type IntrospectionObserver,
  type Introspector,
} from "./introspection.ts";
import { createOryJwtVerifier } from "./ory_jwt.ts";

export interface EngineParts {
  engine: AccessStrategyEngine;
  introspector: Introspector;
  signer: IdTokenSigner;
}

/** Builds the engine over the shared JWKS manager and JWT verifier. */
export function createEngine(options: {
  jwks: JwksManager;
  verifier: TokenVerifier;
  fetch?: typeof fetch;
  now?: () => number;
  cacheEntries?: number;
  idTokenSecret?: Uint8Array;
  idTokenRotateMs?: number;
  observer?: IntrospectionObserver;
}): EngineParts {
  const now = options.now ?? Date.now;
  const introspector = createIntrospector({
    now,
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    ...(options.cacheEntries !== undefined ? { maxEntries: options.cacheEntries } : {}),
    ...(options.observer !== undefined ? { observer: options.observer } : {}),
  });
  const signer = createIdTokenSigner({
    now,
    ...(options.idTokenSecret !== undefined ? { secret: options.idTokenSecret } : {}),
    ...(options.idTokenRotateMs !== undefined ? { rotateMs: options.idTokenRotateMs } : {}),
  });
  const engine = createAccessStrategyEngine({
    verifier: options.verifier,
    oryJwt: createOryJwtVerifier({
      jwks: options.jwks,
      cache: createTokenCache(options.cacheEntries ?? 10_000),
      now,
    }),
    introspector,
    sessions: createSessionChecker(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    signer,
    now,
  });
  return { engine, introspector, signer };
}
