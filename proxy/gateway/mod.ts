/**
 * The embedded gateway (`apigw serve`). A folder snapshot flows: `compileGateway` (APIRules of
 * any version → the authz policy index; ExternalName Services → upstreams; RateLimits → bucket
 * policies) → `GatewayStore` (atomic swap, invalid reloads rejected). A request flows:
 * `readRequest` (canonical form, caps) → index match → local buckets (`proxy/ratelimit/local.ts`) → CORS → `decide()` →
 * `upstreamHeaders` + fetch with the route timeout → `responseHeaders` → access log, metrics.
 */
export { type CompiledGateway, compileGateway, type GatewayConfig, type Route } from "./config.ts";
export { createGateway, type GatewayDeps, type GatewayOptions } from "./handler.ts";
export { createGatewayStore, type GatewayStore } from "./store.ts";
export { createGatewayMetrics, type GatewayMetrics } from "./metrics.ts";
export { DEV_ISSUER, loadDevKey } from "./dev_key.ts";
export { createEcho } from "./echo.ts";
