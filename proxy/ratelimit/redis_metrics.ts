/**
 * The Redis client's own metrics (issue 20: pending calls and their cap, refusals, Cluster slot
 * map refreshes, failovers) on the process's one registry, read from the client at scrape time.
 * The same names and help as the client's text rendering (`renderMetrics`, used by the RLS).
 */
import type { MetricsRegistry } from "../../lib/metrics.ts";
import type { RedisClient, RedisClientStats } from "./redis_client.ts";

/** Registers the families, names starting with `prefix` (`apigw_ratelimit`). */
export function registerRedisMetrics(
  registry: MetricsRegistry,
  prefix: string,
  client: RedisClient,
): void {
  const labels = { topology: client.target.topology };
  const read = (field: keyof RedisClientStats) => () => [{ labels, value: client.stats()[field] }];
  registry.gaugeFunction(
    `${prefix}_redis_pending_cap`,
    "Most Redis calls allowed to be pending at once",
    () => [{ labels, value: client.maxPending }],
  );
  registry.gaugeFunction(
    `${prefix}_redis_pending`,
    "Redis calls waiting for an answer",
    read("pending"),
  );
  registry.gaugeFunction(
    `${prefix}_redis_pending_peak`,
    "Most Redis calls ever pending at once",
    read("peakPending"),
  );
  registry.counterFunction(
    `${prefix}_redis_capped_total`,
    "Redis calls refused because the pending cap was reached",
    read("capped"),
  );
  registry.counterFunction(
    `${prefix}_redis_slot_refreshes_total`,
    "Redis Cluster slot map refreshes",
    read("slotRefreshes"),
  );
  registry.counterFunction(
    `${prefix}_redis_failovers_total`,
    "Redis masters seen moving to another node",
    read("failovers"),
  );
}
