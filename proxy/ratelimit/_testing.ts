/** Fixtures for the global rate limit tests: a RateLimit with `spec.global` and its Pod. */
import { testApp } from "../_testing.ts";
import type { LimiterOptions } from "./limiter.ts";
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

/** The ext_authz handler with the global limiter over `objects`, on `store` (default: memory). */
export function limitedApp(
  objects: unknown[],
  options: { store?: BucketStore; limiter?: LimiterOptions; now?: () => number } = {},
): LimitedApp {
  const app = testApp(objects, {
    authz: { debugHeader: false, logAllowed: false },
    limiting: {
      ...(options.store !== undefined ? { store: options.store } : {}),
      ...(options.limiter !== undefined ? { limiter: options.limiter } : {}),
      ...(options.now !== undefined ? { now: options.now } : {}),
    },
  });
  return {
    check: (path, headers = {}, peer = POD_IP) =>
      app.request(path, { headers: { host: "orders.local.kyma.dev", ...headers }, peer }),
    metrics: app.renderMetrics,
    logs: app.logs,
  };
}
