/**
 * Metrics of the ext_authz decisions, on the process's one registry (`lib/metrics.ts`):
 * decisions by result and reason, decision latency, JWKS fetches, verified-token cache hits,
 * introspection calls, index reloads. Label values come from bounded sets (reasons, configured
 * JWKS URIs), never from requests.
 */
import { MetricsRegistry } from "../lib/metrics.ts";
import type { JwksObserver } from "./jwt/jwks.ts";
import type { CacheObserver } from "./jwt/verifier.ts";
import type { IntrospectionObserver } from "./oathkeeper/introspection.ts";

export interface AuthzMetrics extends JwksObserver, CacheObserver, IntrospectionObserver {
  decision(result: "allow" | "deny" | "error", reason: string, seconds: number): void;
  indexLoaded(outcome: "ok" | "error", rules: number, problems: number): void;
  /** The exposition text of the whole registry. */
  render(): string;
}

const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** The authz families on `registry` (a fresh one by default). */
export function createMetrics(registry = new MetricsRegistry()): AuthzMetrics {
  const decisions = registry.counter(
    "apigw_authz_decisions_total",
    "Decisions by result and reason",
  );
  const latency = registry.histogram("apigw_authz_decision_seconds", "Decision latency", BUCKETS)
    .bind();
  // Series bound once per (result, reason): this runs on every decision.
  const bound = new Map<string, { inc(): void }>();
  const fetches = registry.counter("apigw_jwks_fetches_total", "JWKS fetches by URI and result");
  const keys = registry.gauge("apigw_jwks_keys", "Keys in the last good JWKS");
  const lookups = registry.counter(
    "apigw_jwt_cache_requests_total",
    "Verified-token cache lookups",
  );
  const hits = lookups.bind({ result: "hit" });
  const misses = lookups.bind({ result: "miss" });
  const cache = { hits: 0, misses: 0 };
  registry.gaugeFunction("apigw_jwt_cache_hit_ratio", "Hits over lookups since start", () => {
    const total = cache.hits + cache.misses;
    return [{ labels: {}, value: total === 0 ? 0 : cache.hits / total }];
  });
  const introspections = registry.counter(
    "apigw_introspection_requests_total",
    "Introspection cache hits, endpoint calls (miss), failed calls and calls refused by the breaker",
  );
  const reloads = registry.counter("apigw_authz_index_reloads_total", "Rule index loads by result");
  const index = { rules: 0, problems: 0 };
  registry.gaugeFunction("apigw_authz_index_rules", "Rules in the serving index", () => [
    { labels: {}, value: index.rules },
  ]);
  registry.gaugeFunction("apigw_authz_index_problems", "Objects skipped by the last load", () => [
    { labels: {}, value: index.problems },
  ]);
  return {
    decision(result, reason, seconds) {
      const key = `${result} ${reason}`;
      let series = bound.get(key);
      if (series === undefined) bound.set(key, series = decisions.bind({ result, reason }));
      series.inc();
      latency.observe(seconds);
    },
    jwksFetch(uri, outcome, _seconds, count) {
      fetches.inc({ jwks_uri: uri, result: outcome });
      if (count !== undefined) keys.set({ jwks_uri: uri }, count);
    },
    jwtCache(hit) {
      if (hit) {
        cache.hits++;
        hits.inc();
      } else {
        cache.misses++;
        misses.inc();
      }
    },
    introspection(result) {
      introspections.inc({ result });
    },
    indexLoaded(outcome, rules, problems) {
      reloads.inc({ result: outcome });
      if (outcome === "ok") Object.assign(index, { rules, problems });
    },
    render: () => registry.render(),
  };
}
