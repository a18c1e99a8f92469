/**
 * Prometheus metrics of the embedded gateway: requests by rule and status code, request latency,
 * config reloads; rendered after the authz metrics (decisions, JWKS, token cache) of the same
 * process. Rule labels come from the config, never from requests.
 */

export interface GatewayMetrics {
  request(rule: string, status: number, seconds: number): void;
  reload(outcome: "ok" | "rejected", routes: number, problems: number): void;
  render(): string;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** A fresh registry rendering the data plane's metrics (authz, global limits) too. */
export function createGatewayMetrics(plane: { renderMetrics(): string }): GatewayMetrics {
  const requests = new Map<string, number>();
  const latency = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
  const reloads = new Map<string, number>();
  const state = { routes: 0, problems: 0 };
  return {
    request(rule, status, seconds) {
      const key = `rule="${rule}",code="${status}"`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
      latency.sum += seconds;
      latency.count++;
      for (const [i, bound] of BUCKETS.entries()) if (seconds <= bound) latency.counts[i]!++;
    },
    reload(outcome, routes, problems) {
      reloads.set(outcome, (reloads.get(outcome) ?? 0) + 1);
      if (outcome === "ok") Object.assign(state, { routes, problems });
    },
    render() {
      const lines = [
        "# HELP apigw_gateway_requests_total Requests by rule and status code",
        "# TYPE apigw_gateway_requests_total counter",
        ...[...requests].map(([labels, n]) => `apigw_gateway_requests_total{${labels}} ${n}`),
        "# HELP apigw_gateway_request_seconds Request latency, upstream included",
        "# TYPE apigw_gateway_request_seconds histogram",
        ...BUCKETS.map((b, i) =>
          `apigw_gateway_request_seconds_bucket{le="${b}"} ${latency.counts[i]}`
        ),
        `apigw_gateway_request_seconds_bucket{le="+Inf"} ${latency.count}`,
        `apigw_gateway_request_seconds_sum ${latency.sum}`,
        `apigw_gateway_request_seconds_count ${latency.count}`,
        "# HELP apigw_gateway_reloads_total Config loads by result",
        "# TYPE apigw_gateway_reloads_total counter",
        ...[...reloads].map(([result, n]) =>
          `apigw_gateway_reloads_total{result="${result}"} ${n}`
        ),
        "# HELP apigw_gateway_routes Routes in the serving config",
        "# TYPE apigw_gateway_routes gauge",
        `apigw_gateway_routes ${state.routes}`,
        "# HELP apigw_gateway_config_problems Objects not served by the serving config",
        "# TYPE apigw_gateway_config_problems gauge",
        `apigw_gateway_config_problems ${state.problems}`,
      ];
      return plane.renderMetrics() + lines.join("\n") + "\n";
    },
  };
}
