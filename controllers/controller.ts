/**
 * The loop every controller shares: workers take keys from the controller's queue, call its
 * reconcile with a child logger (controller, reconcileId, namespace, name), and turn the outcome
 * into the next step — a scheduled re-check, a rate-limited retry, or nothing. Errors are logged
 * here, once (STYLE §7); metrics are counted here.
 */
import type { Logger } from "../lib/log.ts";
import { inSpan, tracingOn } from "../lib/tracing.ts";
import type { LeaderElector } from "../kube/leader.ts";
import { splitKey } from "../kube/object.ts";
import { runWorkers, type WorkQueue } from "../kube/queue.ts";
import type { OperatorMetrics } from "./operator_metrics.ts";
import { type EchoFilter, WriteLog } from "./echo.ts";

/** What one reconcile concluded (STYLE §3). */
export type Outcome =
  | { kind: "done"; recheckAfterMs?: number }
  | { kind: "retry"; error: Error }
  | { kind: "terminal"; error: Error; recheckAfterMs?: number };

export interface ReconcileContext {
  log: Logger;
  signal: AbortSignal;
  /** Every write the reconcile makes goes here, so its watch events are known as its own. */
  writes: WriteLog;
}

export interface Controller {
  /** `apirule`, `ratelimit`, `apigateway`: the `controller` label and log field. */
  name: string;
  reconcile(key: string, context: ReconcileContext): Promise<Outcome>;
}

export interface ControllerDeps {
  queue: WorkQueue;
  log: Logger;
  metrics: OperatorMetrics;
  concurrency: number;
  /** When set, keys are only processed while this replica leads. */
  leader?: LeaderElector;
  /** Holds events of what a key owns while it is reconciled (see echo.ts). */
  echo?: EchoFilter;
}

/** Runs `controller`'s workers until its queue is shut down. */
export async function runController(
  controller: Controller,
  deps: ControllerDeps,
  signal: AbortSignal,
): Promise<void> {
  const { queue, metrics } = deps;
  const labels = { controller: controller.name };
  async function handle(key: string): Promise<void> {
    if (deps.leader !== undefined && !deps.leader.isLeader()) {
      // Leadership is ending: leave the key for whoever leads next.
      return;
    }
    const { namespace, name } = splitKey(key);
    const reconcileId = crypto.randomUUID();
    const log = deps.log.child({
      controller: controller.name,
      reconcileId,
      ...(namespace === "" ? {} : { namespace }),
      name,
    });
    const started = performance.now();
    const writes = new WriteLog();
    deps.echo?.begin(key);
    let outcome: Outcome;
    try {
      outcome = tracingOn()
        ? await inSpan("apigw.reconcile", {
          root: true,
          attributes: { "apigw.controller": controller.name, "apigw.key": key },
        }, async (span) => {
          const outcome = await controller.reconcile(key, { log, signal, writes });
          span?.setAttributes({
            "apigw.outcome": outcome.kind,
            "apigw.objects_applied": writes.entries.size,
            ...(outcome.kind === "done" ? {} : { "apigw.error": outcome.error.message }),
          });
          return outcome;
        })
        : await controller.reconcile(key, { log, signal, writes });
    } catch (error) {
      // A reconcile throws only on a bug; retrying keeps the others going.
      outcome = {
        kind: "retry",
        error: error instanceof Error ? error : new Error(String(error)),
      };
      log.error("Reconcile threw", {
        error,
        stack: error instanceof Error ? error.stack : undefined,
      });
    } finally {
      deps.echo?.end(key, writes);
    }
    const seconds = (performance.now() - started) / 1000;
    metrics.reconcileDuration.observe(labels, seconds);
    metrics.reconciles.inc({ ...labels, result: outcome.kind });
    if (signal.aborted) return;
    switch (outcome.kind) {
      case "done":
        queue.forget(key);
        if (outcome.recheckAfterMs !== undefined) queue.addAfter(key, outcome.recheckAfterMs);
        break;
      case "terminal":
        queue.forget(key);
        if (outcome.recheckAfterMs !== undefined) queue.addAfter(key, outcome.recheckAfterMs);
        log.warn("Reconcile ended in a state the user must resolve", {
          error: outcome.error.message,
          durationMs: Math.round(seconds * 1000),
        });
        break;
      case "retry": {
        metrics.reconcileErrors.inc(labels);
        const delayMs = queue.addRateLimited(key);
        log.error("Failed to reconcile", {
          error: outcome.error.message,
          retryInMs: delayMs,
          durationMs: Math.round(seconds * 1000),
        });
        break;
      }
    }
  }
  await runWorkers(queue, deps.concurrency, handle);
}
