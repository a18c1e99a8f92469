/**
 * Prometheus metrics of the authz service, rendered in the text exposition format: decisions by
 * result and reason, decision latency, JWKS fetches, verified-token cache hits, index reloads.
 * Label values come from bounded sets (reasons, configured JWKS URIs), never from requests.
 */
import type { JwksObserver } from "./jwt/jwks.ts";
import type { CacheObserver } from "./jwt/verifier.ts";
import type { IntrospectionObserver } from "./oathkeeper/introspection.ts";

export interface AuthzMetrics extends JwksObserver, CacheObserver, IntrospectionObserver {
  decision(result: "allow" | "deny" | "error", reason: string, seconds: number): void;
  indexLoaded(outcome: "ok" | "error", rules: number, problems: number): void;
  /** The exposition text. */
  render(): string;
}

const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** A fresh registry. */
export function createMetrics(): AuthzMetrics {
  const decisions = new Map<string, number>();
  // Label strings built once per (result, reason): this runs on every decision.
  const decisionKeys = new Map<string, Map<string, string>>();
  const latency = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
  const jwksFetches = new Map<string, number>();
  const jwksKeys = new Map<string, number>();
  const cache = { hits: 0, misses: 0 };
  const introspections = new Map<string, number>();
  const index = { reloads: new Map<string, number>(), rules: 0, problems: 0 };
  return {
    decision(result, reason, seconds) {
      let byReason = decisionKeys.get(result);
      if (byReason === undefined) decisionKeys.set(result, byReason = new Map());
      let key = byReason.get(reason);
      if (key === undefined) byReason.set(reason, key = `result="${result}",reason="${reason}"`);
      increment(decisions, key);
      latency.sum += seconds;
      latency.count++;
      for (const [i, bound] of BUCKETS.entries()) {
        if (seconds <= bound) latency.counts[i]!++;
      }
    },
    jwksFetch(uri, outcome, _seconds, keys) {
      increment(jwksFetches, `jwks_uri="${escape(uri)}",result="${outcome}"`);
      if (keys !== undefined) jwksKeys.set(`jwks_uri="${escape(uri)}"`, keys);
    },
    jwtCache(hit) {
      if (hit) cache.hits++;
      else cache.misses++;
    },
    introspection(result) {
      increment(introspections, `result="${result}"`);
    },
    indexLoaded(outcome, rules, problems) {
      increment(index.reloads, `result="${outcome}"`);
      if (outcome === "ok") {
        index.rules = rules;
        index.problems = problems;
      }
    },
    render() {
      const lines: string[] = [];
      family(lines, "apigw_authz_decisions_total", "counter", "Decisions by result and reason");
      for (const [labels, value] of decisions) {
        lines.push(`apigw_authz_decisions_total{${labels}} ${value}`);
      }
      family(lines, "apigw_authz_decision_seconds", "histogram", "Decision latency");
      for (const [i, bound] of BUCKETS.entries()) {
        lines.push(`apigw_authz_decision_seconds_bucket{le="${bound}"} ${latency.counts[i]}`);
      }
      lines.push(`apigw_authz_decision_seconds_bucket{le="+Inf"} ${latency.count}`);
      lines.push(`apigw_authz_decision_seconds_sum ${latency.sum}`);
      lines.push(`apigw_authz_decision_seconds_count ${latency.count}`);
      family(lines, "apigw_jwks_fetches_total", "counter", "JWKS fetches by URI and result");
      for (const [labels, value] of jwksFetches) {
        lines.push(`apigw_jwks_fetches_total{${labels}} ${value}`);
      }
      family(lines, "apigw_jwks_keys", "gauge", "Keys in the last good JWKS");
      for (const [labels, value] of jwksKeys) lines.push(`apigw_jwks_keys{${labels}} ${value}`);
      family(lines, "apigw_jwt_cache_requests_total", "counter", "Verified-token cache lookups");
      lines.push(`apigw_jwt_cache_requests_total{result="hit"} ${cache.hits}`);
      lines.push(`apigw_jwt_cache_requests_total{result="miss"} ${cache.misses}`);
      family(lines, "apigw_jwt_cache_hit_ratio", "gauge", "Hits over lookups since start");
      const lookups = cache.hits + cache.misses;
      lines.push(`apigw_jwt_cache_hit_ratio ${lookups === 0 ? 0 : cache.hits / lookups}`);
      family(
        lines,
        "apigw_introspection_requests_total",
        "counter",
        "Introspection cache hits, endpoint calls (miss), failed calls and calls refused by the breaker",
      );
      for (const [labels, value] of introspections) {
        lines.push(`apigw_introspection_requests_total{${labels}} ${value}`);
      }
      family(lines, "apigw_authz_index_reloads_total", "counter", "Rule index loads by result");
      for (const [labels, value] of index.reloads) {
        lines.push(`apigw_authz_index_reloads_total{${labels}} ${value}`);
      }
      family(lines, "apigw_authz_index_rules", "gauge", "Rules in the serving index");
      lines.push(`apigw_authz_index_rules ${index.rules}`);
      family(lines, "apigw_authz_index_problems", "gauge", "Objects skipped by the last load");
      lines.push(`apigw_authz_index_problems ${index.problems}`);
      return lines.join("\n") + "\n";
    },
  };
}

function family(lines: string[], name: string, type: string, help: string): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function escape(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}
