/**
 * Metrics of the gRPC rate limit service, in the Prometheus text format, after
 * envoyproxy/ratelimit's per-limit stats: hits by result (`within_limit`, `over_limit`,
 * `shadow_mode`, envoyproxy/ratelimit's `total_hits` being their sum) per limit `key`, and
 * failed calls by reason. The key is the limit's configured path (`domain.key_value.key`); with
 * `detailed_metric` it is the request's own `domain.key_value…`, as envoyproxy/ratelimit's
 * detailed stats are, capped at `maxSeries` keys (the rest count under `key="_other"`).
 */

export type RlsHitResult = "within_limit" | "over_limit" | "shadow_mode";

export interface RlsMetrics {
  hits(key: string, result: RlsHitResult, hits: number): void;
  failed(reason: "invalid" | "store" | "no_config"): void;
  render(): string;
}

/** A fresh registry; `maxSeries` bounds the distinct keys (detailed metrics come from requests). */
export function createRlsMetrics(maxSeries = 10_000): RlsMetrics {
  const hits = new Map<string, number>();
  const keys = new Set<string>();
  const failures = new Map<string, number>();
  return {
    hits(key, result, count) {
      if (!keys.has(key) && keys.size >= maxSeries) key = "_other";
      keys.add(key);
      const labels = `key="${escape(key)}",result="${result}"`;
      hits.set(labels, (hits.get(labels) ?? 0) + count);
    },
    failed(reason) {
      const labels = `reason="${reason}"`;
      failures.set(labels, (failures.get(labels) ?? 0) + 1);
    },
    render() {
      const lines = [
        "# HELP apigw_rls_hits_total Rate limit service hits per limit key and result",
        "# TYPE apigw_rls_hits_total counter",
        ...[...hits].map(([labels, value]) => `apigw_rls_hits_total{${labels}} ${value}`),
        "# HELP apigw_rls_failed_total Rate limit calls answered with an error or the failure mode",
        "# TYPE apigw_rls_failed_total counter",
        ...[...failures].map(([labels, value]) => `apigw_rls_failed_total{${labels}} ${value}`),
      ];
      return lines.join("\n") + "\n";
    },
  };
}

/** Label values from requests: backslash, quote and newline escaped (Prometheus text format). */
function escape(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}
