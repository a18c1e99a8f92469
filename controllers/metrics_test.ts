import assert from "node:assert/strict";
import { MetricsRegistry } from "./metrics.ts";
import { createOperatorMetrics } from "./operator_metrics.ts";

Deno.test("MetricsRegistry.render() writes the Prometheus text format", () => {
  const registry = new MetricsRegistry();
  const reconciles = registry.counter("apigw_reconcile_total", "Reconciles");
  reconciles.inc({ controller: "apirule", result: "done" });
  reconciles.inc({ controller: "apirule", result: "done" }, 2);
  registry.gauge("apigw_leader", "Leader").set({}, 1);
  registry.gaugeFunction(
    "apigw_workqueue_depth",
    "Depth",
    () => [{ labels: { controller: 'a"b' }, value: 4 }],
  );
  const durations = registry.histogram("apigw_reconcile_duration_seconds", "Durations", [0.1, 1]);
  durations.observe({ controller: "apirule" }, 0.05);
  durations.observe({ controller: "apirule" }, 0.5);
  assert.equal(
    registry.render(),
    [
      "# HELP apigw_reconcile_total Reconciles",
      "# TYPE apigw_reconcile_total counter",
      'apigw_reconcile_total{controller="apirule",result="done"} 3',
      "# HELP apigw_leader Leader",
      "# TYPE apigw_leader gauge",
      "apigw_leader 1",
      "# HELP apigw_workqueue_depth Depth",
      "# TYPE apigw_workqueue_depth gauge",
      'apigw_workqueue_depth{controller="a\\"b"} 4',
      "# HELP apigw_reconcile_duration_seconds Durations",
      "# TYPE apigw_reconcile_duration_seconds histogram",
      'apigw_reconcile_duration_seconds_bucket{controller="apirule",le="0.1"} 1',
      'apigw_reconcile_duration_seconds_bucket{controller="apirule",le="1"} 2',
      'apigw_reconcile_duration_seconds_bucket{controller="apirule",le="+Inf"} 2',
      'apigw_reconcile_duration_seconds_sum{controller="apirule"} 0.55',
      'apigw_reconcile_duration_seconds_count{controller="apirule"} 2',
      "",
    ].join("\n"),
  );
});

Deno.test("createOperatorMetrics() exposes the webhook times in sub-millisecond buckets", () => {
  const metrics = createOperatorMetrics({
    queues: () => [],
    informers: () => [],
    owned: () => [],
    leader: () => true,
  });
  metrics.webhookDuration.observe({ webhook: "validate-apirule", code: "200" }, 0.0004);
  metrics.webhookDuration.observe({ webhook: "validate-apirule", code: "200" }, 0.045);
  metrics.webhookCompute.observe({ webhook: "validate-apirule" }, 0.0009);
  const text = metrics.registry.render();
  const line = (name: string) => text.split("\n").find((l) => l.startsWith(name));
  const duration =
    'apigw_webhook_request_duration_seconds_bucket{webhook="validate-apirule",code="200"';
  assert.equal(line(`${duration},le="0.0005"}`), `${duration},le="0.0005"} 1`);
  assert.equal(line(`${duration},le="0.04"}`), `${duration},le="0.04"} 1`);
  assert.equal(line(`${duration},le="0.05"}`), `${duration},le="0.05"} 2`);
  const compute = 'apigw_webhook_compute_duration_seconds_bucket{webhook="validate-apirule"';
  assert.equal(line(`${compute},le="0.00075"}`), `${compute},le="0.00075"} 0`);
  assert.equal(line(`${compute},le="0.001"}`), `${compute},le="0.001"} 1`);
});
