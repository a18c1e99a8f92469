/**
 * The one wiring of the data plane. `apigw authz`, `apigw serve` and the tests build the same
 * parts here: the metrics registry, the JWKS manager, the verified-token cache and verifier, the
 * v1beta1 access-strategy engine and the global limiter (Redis or memory). The front ends add
 * their own edges (the check handler of `app.ts`, the gateway of `gateway/handler.ts`) over it.
 */
import type { Logger } from "../lib/log.ts";
import { MetricsRegistry } from "../lib/metrics.ts";
import type { CompiledGlobalLimits } from "../core/ratelimit/global.ts";
import type { DecisionObserver } from "./decisions.ts";
import { createJwksManager, type JwksManager, type JwksOptions } from "./jwt/jwks.ts";
import { createTokenCache } from "./jwt/token_cache.ts";
import { createVerifier, type TokenVerifier } from "./jwt/verifier.ts";
import { type AuthzMetrics, createMetrics } from "./metrics.ts";
import { createEngine, type EngineParts } from "./oathkeeper/wiring.ts";
import { createMemoryStore } from "./ratelimit/memory_store.ts";
import type { MemoryBucketStore } from "./ratelimit/store.ts";
import {
  createGlobalLimiting,
  type GlobalLimiting,
  type GlobalLimitingOptions,
} from "./ratelimit/setup.ts";

export interface DataPlaneSettings {
  log: Logger;
  /** Verified-token and introspection cache entries (0: every check verifies its token). */
  tokenCacheEntries?: number;
  /** Secret the id_token keys are derived from (default: random per process). */
  idTokenSecret?: Uint8Array;
  idTokenRotateMs?: number;
  limiting: GlobalLimitingOptions;
  /** The global limits, read per check, so a reload swaps them. */
  globalLimits: { current(): CompiledGlobalLimits };
  /** Tests: JWKS fetch settings and a wall clock (ms) for token expiry. */
  jwks?: Omit<JwksOptions, "observer" | "log">;
  now?: () => number;
  /** Told of every decided request (the dashboard); without it the front ends build no event. */
  onDecision?: DecisionObserver;
}

/** The shared parts; `close()` ends the JWKS fetches and the Redis connection. */
export interface DataPlane extends AsyncDisposable {
  log: Logger;
  /** The process's one metrics registry: the front ends add their families to it. */
  registry: MetricsRegistry;
  metrics: AuthzMetrics;
  jwks: JwksManager;
  verifier: TokenVerifier;
  oathkeeper: EngineParts;
  limiting: GlobalLimiting;
  /**
   * The buckets of RateLimit `spec.local` (the embedded gateway): in process memory as Envoy's
   * are per proxy, apart from the global limiter's keys so a flood of client keys never evicts
   * them.
   */
  localBuckets: MemoryBucketStore;
  /** The observer of decisions, when one listens (`decisions.ts`). */
  onDecision: DecisionObserver | undefined;
  /** The Prometheus text of every part. */
  renderMetrics(): string;
  close(): Promise<void>;
}

const DEFAULT_CACHE_ENTRIES = 10_000;
/** Local buckets are one per RateLimit bucket and version, not per client: a few per route. */
const LOCAL_BUCKET_KEYS = 10_000;

/** Builds the parts; await `limiting.started` before serving to give Redis a moment. */
export function createDataPlane(settings: DataPlaneSettings): DataPlane {
  const { log } = settings;
  const entries = settings.tokenCacheEntries ?? DEFAULT_CACHE_ENTRIES;
  const now = settings.now !== undefined ? { now: settings.now } : {};
  const registry = new MetricsRegistry();
  const metrics = createMetrics(registry);
  const jwks = createJwksManager({ ...settings.jwks, observer: metrics, log });
  const verifier = createVerifier({
    jwks,
    cache: createTokenCache(entries),
    observer: metrics,
    ...now,
  });
  const oathkeeper = createEngine({
    jwks,
    verifier,
    cacheEntries: entries,
    observer: metrics,
    ...now,
    ...(settings.idTokenSecret !== undefined ? { idTokenSecret: settings.idTokenSecret } : {}),
    ...(settings.idTokenRotateMs !== undefined
      ? { idTokenRotateMs: settings.idTokenRotateMs }
      : {}),
  });
  const limiting = createGlobalLimiting(settings.limiting, settings.globalLimits, {
    log,
    registry,
  });
  const close = async () => {
    await jwks.close();
    await limiting.close();
  };
  return {
    log,
    registry,
    metrics,
    jwks,
    verifier,
    oathkeeper,
    limiting,
    localBuckets: createMemoryStore({
      maxKeys: LOCAL_BUCKET_KEYS,
      ...(settings.limiting.now !== undefined ? { now: settings.limiting.now } : {}),
    }),
    onDecision: settings.onDecision,
    renderMetrics: () => registry.render(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
