/** Builds the ext_authz app the way `apigw authz` does, over given objects, for tests. */
import { createLogger } from "../lib/log.ts";
import { DEFAULT_CANONICAL_OPTIONS } from "../core/authz/canonical.ts";
import { compilePolicyIndex } from "../core/authz/policy_index.ts";
import { GATEWAY } from "../core/authz/_testing.ts";
import { type AuthzOptions, createApp } from "./app.ts";
import { createJwksManager, type JwksOptions } from "./jwt/jwks.ts";
import { createTokenCache } from "./jwt/token_cache.ts";
import { createVerifier } from "./jwt/verifier.ts";
import { createMetrics } from "./metrics.ts";
import { createEngine, type EngineParts } from "./oathkeeper/wiring.ts";
import { DEFAULT_PIPELINE_OPTIONS } from "./pipeline.ts";

export const TEST_OPTIONS: AuthzOptions = {
  pathPrefix: "",
  canonical: DEFAULT_CANONICAL_OPTIONS,
  pipeline: DEFAULT_PIPELINE_OPTIONS,
  debugHeader: true,
  deadlineMs: 1_000,
  maxHeaderBytes: 16 * 1024,
  logAllowed: true,
};

export interface TestApp extends AsyncDisposable {
  request(path: string, init?: RequestInit & { host?: string }): Promise<Response>;
  /** The app's own fetch handler, for a real `Deno.serve`. */
  fetch(request: Request): Promise<Response>;
  logs: Record<string, unknown>[];
  metrics: ReturnType<typeof createMetrics>;
  /** The v1beta1 access-strategy engine's parts (introspection cache, id_token signer). */
  oathkeeper: EngineParts;
}

/** The app over `objects` (plus the test Gateway), with real JWKS fetching. */
export function testApp(
  objects: unknown[],
  options: { authz?: Partial<AuthzOptions>; jwks?: JwksOptions; now?: () => number } = {},
): TestApp {
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const metrics = createMetrics();
  const jwks = createJwksManager({ observer: metrics, ...options.jwks });
  const verifier = createVerifier({
    jwks,
    cache: createTokenCache(),
    observer: metrics,
    ...(options.now ? { now: options.now } : {}),
  });
  const { index } = compilePolicyIndex([GATEWAY, ...objects], { providerName: "apigw" });
  const oathkeeper = createEngine({
    jwks,
    verifier,
    ...(options.now ? { now: options.now } : {}),
  });
  const app = createApp({
    rules: { current: () => index },
    verifier,
    accessStrategies: oathkeeper.engine,
    metrics,
    log,
    options: { ...TEST_OPTIONS, ...options.authz },
  });
  return {
    request(path, init = {}) {
      const { host = "orders.local.kyma.dev", ...rest } = init;
      const headers = new Headers(rest.headers);
      if (!headers.has("host")) headers.set("host", host);
      return Promise.resolve(
        app.request(`http://${headers.get("host")}${path}`, { ...rest, headers }),
      );
    },
    fetch: (request) => Promise.resolve(app.fetch(request)),
    logs,
    metrics,
    oathkeeper,
    [Symbol.asyncDispose]: () => jwks.close(),
  };
}
