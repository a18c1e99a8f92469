/**
 * The operator's metrics (operator-config.md §3): reconciles by controller and result, their
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
}

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
