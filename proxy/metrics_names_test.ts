/**
 * Golden list of the `/metrics` families of `apigw authz` and `apigw serve`: metric names, types
 * and label names stay as dashboards know them, whatever registry renders them. Every kind of
 * event is recorded once, so every family shows its labels.
 */
import assert from "node:assert/strict";
import { createLogger } from "../lib/log.ts";
import { createDataPlane, type DataPlane } from "./dataplane.ts";
import { createGatewayMetrics } from "./gateway/metrics.ts";

/** `# TYPE name type` and `name{label,…}` of every sample, sorted, without values. */
function names(text: string): string[] {
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) seen.add(line);
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    assert.ok(match !== null, `not a sample line: ${line}`);
    const labels = [...(match[2] ?? "").matchAll(/([a-zA-Z_]\w*)="(?:[^"\\]|\\.)*"/g)]
      .map((m) => m[1]);
    seen.add(`${match[1]}{${labels.join(",")}}`);
  }
  return [...seen].sort();
}

function planeWithEvents(): DataPlane {
  const plane = createDataPlane({
    log: createLogger({ level: "error", write: () => {} }),
    limiting: { redisTimeoutMs: 50, localKeys: 10 },
    globalLimits: { current: () => ({ limits: [], byAddress: new Map(), problems: [] }) },
  });
  const { metrics } = plane;
  metrics.decision("allow", "jwt_valid", 0.001);
  metrics.decision("deny", "missing_token", 0.001);
  metrics.jwksFetch("https://idp.test/jwks", "ok", 0.01, 2);
  metrics.jwtCache(true);
  metrics.jwtCache(false);
  metrics.introspection("hit");
  metrics.indexLoaded("ok", 3, 0);
  const limits = plane.limiting.metrics;
  limits.checked("shop/orders/default", "allowed", true);
  limits.preRejected("shop/orders/default");
  limits.fallback("shop/orders/default", "open");
  limits.redisError("shop/orders/default");
  limits.redisLatency("shop/orders/default", 0.001);
  return plane;
}

const AUTHZ = [
  "# TYPE apigw_authz_decision_seconds histogram",
  "# TYPE apigw_authz_decisions_total counter",
  "# TYPE apigw_authz_index_problems gauge",
  "# TYPE apigw_authz_index_reloads_total counter",
  "# TYPE apigw_authz_index_rules gauge",
  "# TYPE apigw_introspection_requests_total counter",
  "# TYPE apigw_jwks_fetches_total counter",
  "# TYPE apigw_jwks_keys gauge",
  "# TYPE apigw_jwt_cache_hit_ratio gauge",
  "# TYPE apigw_jwt_cache_requests_total counter",
  "# TYPE apigw_ratelimit_checks_total counter",
  "# TYPE apigw_ratelimit_fallback_total counter",
  "# TYPE apigw_ratelimit_local_keys gauge",
  "# TYPE apigw_ratelimit_near_limit_total counter",
  "# TYPE apigw_ratelimit_prerejected_total counter",
  "# TYPE apigw_ratelimit_redis_errors_total counter",
  "# TYPE apigw_ratelimit_redis_seconds histogram",
  "apigw_authz_decision_seconds_bucket{le}",
  "apigw_authz_decision_seconds_count{}",
  "apigw_authz_decision_seconds_sum{}",
  "apigw_authz_decisions_total{result,reason}",
  "apigw_authz_index_problems{}",
  "apigw_authz_index_reloads_total{result}",
  "apigw_authz_index_rules{}",
  "apigw_introspection_requests_total{result}",
  "apigw_jwks_fetches_total{jwks_uri,result}",
  "apigw_jwks_keys{jwks_uri}",
  "apigw_jwt_cache_hit_ratio{}",
  "apigw_jwt_cache_requests_total{result}",
  "apigw_ratelimit_checks_total{ratelimit,bucket,result}",
  "apigw_ratelimit_fallback_total{ratelimit,bucket,mode}",
  "apigw_ratelimit_local_keys{}",
  "apigw_ratelimit_near_limit_total{ratelimit,bucket}",
  "apigw_ratelimit_prerejected_total{ratelimit,bucket}",
  "apigw_ratelimit_redis_errors_total{ratelimit,bucket}",
  "apigw_ratelimit_redis_seconds_bucket{ratelimit,bucket,le}",
  "apigw_ratelimit_redis_seconds_count{ratelimit,bucket}",
  "apigw_ratelimit_redis_seconds_sum{ratelimit,bucket}",
];

const GATEWAY = [
  "# TYPE apigw_gateway_config_problems gauge",
  "# TYPE apigw_gateway_reloads_total counter",
  "# TYPE apigw_gateway_request_seconds histogram",
  "# TYPE apigw_gateway_requests_total counter",
  "# TYPE apigw_gateway_routes gauge",
  "apigw_gateway_config_problems{}",
  "apigw_gateway_reloads_total{result}",
  "apigw_gateway_request_seconds_bucket{le}",
  "apigw_gateway_request_seconds_count{}",
  "apigw_gateway_request_seconds_sum{}",
  "apigw_gateway_requests_total{rule,code}",
  "apigw_gateway_routes{}",
];

Deno.test("apigw authz /metrics keeps its metric names and labels", async () => {
  await using plane = planeWithEvents();
  assert.deepEqual(names(plane.renderMetrics()), AUTHZ);
});

Deno.test("apigw serve /metrics keeps its metric names and labels", async () => {
  await using plane = planeWithEvents();
  const gateway = createGatewayMetrics(plane);
  gateway.request("shop/orders#0", 200, 0.01);
  gateway.reload("ok", 1, 0);
  gateway.reload("rejected", 1, 1);
  assert.deepEqual(names(gateway.render()), [...AUTHZ, ...GATEWAY].sort());
});

Deno.test("apigw authz /metrics is valid exposition text with each family once", async () => {
  await using plane = planeWithEvents();
  const text = plane.renderMetrics();
  const types = text.split("\n").filter((line) => line.startsWith("# TYPE "));
  assert.equal(new Set(types).size, types.length);
  assert.ok(text.endsWith("\n"));
});
