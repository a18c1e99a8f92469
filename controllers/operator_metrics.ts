/**
 * The operator's metrics (docs/spec/operator-config.md §3): reconciles by controller and result, their
 * durations and errors, work-queue depth, objects owned, informer state, leadership, REST client
 * requests and process memory. Served at `/metrics` by the probes server.
 */
import type { Counter, Histogram } from "./metrics.ts";
import { MetricsRegistry } from "./metrics.ts";

export interface OperatorMetrics {
  registry: MetricsRegistry;
  reconciles: Counter;
  reconcileErrors: Counter;
  reconcileDuration: Histogram;
  queueAdds: Counter;
  restRequests: Counter;
  restDuration: Histogram;
  /** Upstream's module counter: APIRule updates that failed (kept for existing dashboards). */
  apiRuleModifiedErrors: Counter;
  /** The webhooks' own handling time per review, by webhook and HTTP code (fine buckets). */
  webhookDuration: Histogram;
  /** The synchronous (CPU) part of that time, by webhook. */
  webhookCompute: Histogram;
}

/**
 * Buckets of the webhook histograms, in seconds: fine from 100 µs to 100 ms, so that a p99 near
 * the 50 ms goal and a CPU time near 1 ms per call can be read from them (the apiserver's own
 * admission histogram has 5, 25, 100 and 500 ms only).
 */
export const WEBHOOK_BUCKETS = [
  0.0001,
  0.00025,
  0.0005,
  0.00075,
  0.001,
  0.0015,
  0.002,
  0.003,
  0.005,
  0.0075,
  0.01,
  0.015,
  0.02,
  0.03,
  0.04,
  0.05,
  0.075,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
];

/** A registry with every operator metric registered; gauges read from `sources` on scrape. */
export function createOperatorMetrics(sources: {
  queues: () => Array<
    { controller: string; depth: number; busy: number; retrying: number; scheduled: number }
  >;
  informers: () => Array<{ resource: string; synced: boolean; objects: number }>;
  owned: () => Array<{ controller: string; kind: string; count: number }>;
  leader: () => boolean;
}): OperatorMetrics {
  const registry = new MetricsRegistry();
  const startSeconds = Date.now() / 1000;
  const metrics: OperatorMetrics = {
    registry,
    reconciles: registry.counter(
      "apigw_reconcile_total",
      "Reconciles by controller and result (done, retry, terminal)",
    ),
    reconcileErrors: registry.counter(
      "apigw_reconcile_errors_total",
      "Reconciles that failed and are retried",
    ),
    reconcileDuration: registry.histogram(
      "apigw_reconcile_duration_seconds",
      "Duration of one reconcile",
    ),
    queueAdds: registry.counter("apigw_workqueue_adds_total", "Keys added to a work queue"),
    restRequests: registry.counter(
      "apigw_rest_client_requests_total",
      "Requests to the Kubernetes API by method and HTTP status (none: no answer)",
    ),
    restDuration: registry.histogram(
      "apigw_rest_client_request_duration_seconds",
      "Duration of requests to the Kubernetes API by method (watches excluded)",
    ),
    apiRuleModifiedErrors: registry.counter(
      "api_gateway_api_rule_object_modified_errors_total",
      "APIRule updates that failed because the object was modified meanwhile",
    ),
    webhookDuration: registry.histogram(
      "apigw_webhook_request_duration_seconds",
      "The webhook's own handling time of one review, from reading the body to the answer, by webhook and code",
      WEBHOOK_BUCKETS,
    ),
    webhookCompute: registry.histogram(
      "apigw_webhook_compute_duration_seconds",
      "The synchronous part of one review (JSON parse, review, JSON answer): its CPU time on the event loop, by webhook",
      WEBHOOK_BUCKETS,
    ),
  };
  registry.gaugeFunction(
    "apigw_workqueue_depth",
    "Keys ready to be reconciled",
    () => sources.queues().map((q) => ({ labels: { controller: q.controller }, value: q.depth })),
  );
  registry.gaugeFunction(
    "apigw_workqueue_busy",
    "Keys being reconciled",
    () => sources.queues().map((q) => ({ labels: { controller: q.controller }, value: q.busy })),
  );
  registry.gaugeFunction(
    "apigw_workqueue_retrying",
    "Keys waiting for a retry after a failure",
    () =>
      sources.queues().map((q) => ({ labels: { controller: q.controller }, value: q.retrying })),
  );
  registry.gaugeFunction(
    "apigw_workqueue_scheduled",
    "Keys waiting for a scheduled re-check",
    () =>
      sources.queues().map((q) => ({ labels: { controller: q.controller }, value: q.scheduled })),
  );
  registry.gaugeFunction(
    "apigw_owned_objects",
    "Objects the operator owns, by controller and kind (as its cache sees them)",
    () =>
      sources.owned().map((o) => ({
        labels: { controller: o.controller, kind: o.kind },
        value: o.count,
      })),
  );
  registry.gaugeFunction(
    "apigw_informer_synced",
    "1 once the informer completed its first list",
    () =>
      sources.informers().map((i) => ({
        labels: { resource: i.resource },
        value: i.synced ? 1 : 0,
      })),
  );
  registry.gaugeFunction(
    "apigw_informer_objects",
    "Objects in the informer's cache",
    () => sources.informers().map((i) => ({ labels: { resource: i.resource }, value: i.objects })),
  );
  registry.gaugeFunction(
    "apigw_leader",
    "1 while this replica holds the leader Lease (or runs without leader election)",
    () => [{ labels: {}, value: sources.leader() ? 1 : 0 }],
  );
  registry.gaugeFunction(
    "process_resident_memory_bytes",
    "Resident memory size in bytes",
    () => [{ labels: {}, value: Deno.memoryUsage().rss }],
  );
  registry.gaugeFunction(
    "process_heap_used_bytes",
    "V8 heap in use, in bytes",
    () => [{ labels: {}, value: Deno.memoryUsage().heapUsed }],
  );
  registry.gaugeFunction(
    "process_heap_total_bytes",
    "V8 heap reserved, in bytes",
    () => [{ labels: {}, value: Deno.memoryUsage().heapTotal }],
  );
  registry.gaugeFunction(
    "process_external_memory_bytes",
    "Memory of objects outside the V8 heap (buffers), in bytes",
    () => [{ labels: {}, value: Deno.memoryUsage().external }],
  );
  registry.gaugeFunction(
    "process_start_time_seconds",
    "Start time of the process since the Unix epoch, in seconds",
    () => [{ labels: {}, value: startSeconds }],
  );
  return metrics;
}
