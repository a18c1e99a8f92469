/** Fixtures for the global rate limit tests: a RateLimit with `spec.global` and its Pod. */
import { createLogger } from "../../lib/log.ts";
import { DEFAULT_CANONICAL_OPTIONS } from "../../core/authz/canonical.ts";
import { compilePolicyIndex } from "../../core/authz/policy_index.ts";
import { compileGlobalLimits } from "../../core/ratelimit/global.ts";
import { GATEWAY } from "../../core/authz/_testing.ts";
import { createApp } from "../app.ts";
import { createJwksManager } from "../jwt/jwks.ts";
import { createTokenCache } from "../jwt/token_cache.ts";
import { createVerifier } from "../jwt/verifier.ts";
import { createMetrics } from "../metrics.ts";
import { DEFAULT_PIPELINE_OPTIONS } from "../pipeline.ts";
import { createGlobalLimiter, DEFAULT_LIMITER_OPTIONS, type LimiterOptions } from "./limiter.ts";
import { createMemoryStore } from "./memory_store.ts";
import { createRateLimitMetrics } from "./metrics.ts";
import type { BucketStore } from "./store.ts";

/** The address the test checks come from: the selected Pod's. */
export const POD_IP = "127.0.0.1";

/** A RateLimit `shop/orders-limit` selecting `app: orders`, with `global` merged in. */
export function globalRateLimit(
  global: Record<string, unknown>,
  spec: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name: "orders-limit", namespace: "shop" },
    spec: {
      selectorLabels: { app: "orders" },
      local: { defaultBucket: { maxTokens: 100, tokensPerFill: 100, fillInterval: "1s" } },
      global: {
        key: { header: { name: "x-api-key" } },
        defaultBucket: { maxTokens: 3, tokensPerFill: 1, fillInterval: "1h" },
        ...global,
      },
      ...spec,
    },
  };
}

/** The Pod the RateLimit selects, at `ip`. */
export function ordersPod(ip = POD_IP): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "orders-0", namespace: "shop", labels: { app: "orders" } },
    status: { podIP: ip, podIPs: [{ ip }] },
  };
}

export interface LimitedApp {
  /** A check from `peer` (default: the Pod) for host `orders.local.kyma.dev`. */
  check(path: string, headers?: Record<string, string>, peer?: string): Promise<Response>;
  metrics(): string;
  logs: Record<string, unknown>[];
}

/** The ext_authz app with the global limiter over `objects`, on `store` (default: memory). */
export function limitedApp(
  objects: unknown[],
  options: { store?: BucketStore; limiter?: LimiterOptions; now?: () => number } = {},
): LimitedApp {
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const metrics = createMetrics();
  const limitMetrics = createRateLimitMetrics();
  const local = createMemoryStore({ maxKeys: 1000, ...(options.now ? { now: options.now } : {}) });
  const store = options.store ?? local;
  const compiled = compileGlobalLimits(objects);
  const { index } = compilePolicyIndex([GATEWAY, ...objects], { providerName: "apigw" });
  const limiter = createGlobalLimiter({
    limits: { current: () => compiled },
    store,
    local,
    metrics: limitMetrics,
    log,
    options: options.limiter ?? DEFAULT_LIMITER_OPTIONS,
    ...(options.now ? { now: options.now } : {}),
  });
  const app = createApp({
    rules: { current: () => index },
    verifier: createVerifier({
      jwks: createJwksManager({ observer: metrics }),
      cache: createTokenCache(),
      observer: metrics,
    }),
    metrics,
    log,
    rateLimit: limiter,
    options: {
      pathPrefix: "",
      canonical: DEFAULT_CANONICAL_OPTIONS,
      pipeline: DEFAULT_PIPELINE_OPTIONS,
      debugHeader: false,
      deadlineMs: 1_000,
      maxHeaderBytes: 16 * 1024,
      logAllowed: false,
    },
  });
  return {
    check: (path, headers = {}, peer = POD_IP) =>
      Promise.resolve(app.request(
        `http://orders.local.kyma.dev${path}`,
        { headers: { host: "orders.local.kyma.dev", ...headers } },
        { remoteAddr: { hostname: peer, port: 40000, transport: "tcp" } },
      )),
    metrics: () => limitMetrics.render(local.size() + limiter.heldKeys()),
    logs,
  };
}
