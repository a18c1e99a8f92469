/** Builds the ext_authz handler the way `apigw authz` does, over given objects, for tests. */
import { createLogger } from "../lib/log.ts";
import { DEFAULT_CANONICAL_OPTIONS } from "../core/authz/canonical.ts";
import { compilePolicyIndex } from "../core/authz/policy_index.ts";
import { compileGlobalLimits } from "../core/ratelimit/global.ts";
import { GATEWAY } from "../core/authz/_testing.ts";
import { type AuthzOptions, createAuthzHandler } from "./app.ts";
import { createDataPlane } from "./dataplane.ts";
import type { JwksOptions } from "./jwt/jwks.ts";
import type { AuthzMetrics } from "./metrics.ts";
import type { EngineParts } from "./oathkeeper/wiring.ts";
import { DEFAULT_PIPELINE_OPTIONS } from "./pipeline.ts";
import type { GlobalLimitingOptions } from "./ratelimit/setup.ts";

export const TEST_OPTIONS: AuthzOptions = {
  pathPrefix: "",
  canonical: DEFAULT_CANONICAL_OPTIONS,
  pipeline: DEFAULT_PIPELINE_OPTIONS,
  debugHeader: true,
  deadlineMs: 1_000,
  maxHeaderBytes: 16 * 1024,
  logAllowed: true,
};

/** The address test checks come from unless told otherwise. */
export const TEST_PEER = "127.0.0.1";

export interface TestApp extends AsyncDisposable {
  request(
    path: string,
    init?: RequestInit & { host?: string; peer?: string },
  ): Promise<Response>;
  /** The production handler itself, for a real `Deno.serve`. */
  fetch(request: Request): Promise<Response>;
  logs: Record<string, unknown>[];
  metrics: AuthzMetrics;
  /** The `/metrics` text, global rate limits included. */
  renderMetrics(): string;
  /** The v1beta1 access-strategy engine's parts (introspection cache, id_token signer). */
  oathkeeper: EngineParts;
}

export interface TestAppOptions {
  authz?: Partial<AuthzOptions>;
  jwks?: Omit<JwksOptions, "observer" | "log">;
  now?: () => number;
  limiting?: Partial<GlobalLimitingOptions>;
}

/** The handler over `objects` (plus the test Gateway), with real JWKS fetching. */
export function testApp(objects: unknown[], options: TestAppOptions = {}): TestApp {
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const { index } = compilePolicyIndex([GATEWAY, ...objects], { providerName: "apigw" });
  const limits = compileGlobalLimits(objects);
  const plane = createDataPlane({
    log,
    limiting: { redisTimeoutMs: 50, localKeys: 1000, ...options.limiting },
    globalLimits: { current: () => limits },
    ...(options.jwks !== undefined ? { jwks: options.jwks } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  const handler = createAuthzHandler(plane, { current: () => index }, {
    ...TEST_OPTIONS,
    ...options.authz,
  });
  const call = (request: Request, peer = TEST_PEER) =>
    Promise.resolve(handler(request, {
      remoteAddr: { hostname: peer, port: 40000, transport: "tcp" },
      completed: Promise.resolve(),
    }));
  return {
    request(path, init = {}) {
      const { host = "orders.local.kyma.dev", peer, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (!headers.has("host")) headers.set("host", host);
      return call(new Request(`http://${headers.get("host")}${path}`, { ...rest, headers }), peer);
    },
    fetch: (request) => call(request),
    logs,
    metrics: plane.metrics,
    renderMetrics: plane.renderMetrics,
    oathkeeper: plane.oathkeeper,
    [Symbol.asyncDispose]: plane.close,
  };
}
