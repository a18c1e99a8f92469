/**
 * The trace span of one batched token bucket call (docs/tracing.md): linked to every sampled
 * check it serves, a child of the first of them. On a Redis Cluster the batch is several script
 * runs (one per slot, pipelined per node); the span covers them all and counts them.
 */
import { contextOf, type Span, type SpanContext, SpanKind, startSpan } from "../../lib/tracing.ts";

/** The span, or none when no check of the batch is sampled. */
export function batchSpan(
  callers: readonly (SpanContext | undefined)[],
  scriptRuns: number,
): Span | undefined {
  const sampled = callers.flatMap((caller) => caller === undefined ? [] : [caller]);
  if (sampled.length === 0) return undefined;
  return startSpan("apigw.redis.take_tokens", {
    kind: SpanKind.CLIENT,
    parent: contextOf(sampled[0]!),
    links: sampled.map((context) => ({ context })),
    attributes: {
      "db.system.name": "redis",
      "db.operation.name": "EVALSHA",
      "apigw.redis.batch_size": callers.length,
      "apigw.redis.script_runs": scriptRuns,
    },
  });
}
