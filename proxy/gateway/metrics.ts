/**
 * Metrics of the embedded gateway, on the process's one registry (`lib/metrics.ts`, shared with
 * the authz and rate limit families): requests by rule and status code, request latency, config
 * reloads. Rule labels come from the config, never from requests.
 */
import type { MetricsRegistry } from "../../lib/metrics.ts";

export interface GatewayMetrics {
  request(rule: string, status: number, seconds: number): void;
  reload(outcome: "ok" | "rejected", routes: number, problems: number): void;
  /** The exposition text of the whole registry. */
  render(): string;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** The gateway families on the data plane's registry. */
export function createGatewayMetrics(plane: { registry: MetricsRegistry }): GatewayMetrics {
  const { registry } = plane;
  const requests = registry.counter(
    "apigw_gateway_requests_total",
    "Requests by rule and status code",
  );
  const latency = registry.histogram(
    "apigw_gateway_request_seconds",
    "Request latency, upstream included",
    BUCKETS,
  ).bind();
  const reloads = registry.counter("apigw_gateway_reloads_total", "Config loads by result");
  const state = { routes: 0, problems: 0 };
  registry.gaugeFunction("apigw_gateway_routes", "Routes in the serving config", () => [
    { labels: {}, value: state.routes },
  ]);
  registry.gaugeFunction(
    "apigw_gateway_config_problems",
    "Objects not served by the serving config",
    () => [{ labels: {}, value: state.problems }],
  );
  return {
    request(rule, status, seconds) {
      requests.inc({ rule, code: String(status) });
      latency.observe(seconds);
    },
    reload(outcome, routes, problems) {
      reloads.inc({ result: outcome });
      if (outcome === "ok") Object.assign(state, { routes, problems });
    },
    render: () => registry.render(),
  };
}
