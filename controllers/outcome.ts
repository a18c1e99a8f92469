/**
 * From a carried-out plan to the controller outcome: failed writes and incomplete plans are
 * retried with backoff; a Ready CR is re-checked after its period; a CR the user must fix
 * (Error, Warning) is re-checked after the same period — its watched dependencies requeue it as
 * soon as something changes.
 */
import type { Plan } from "../core/plan.ts";
import type { Outcome } from "./controller.ts";
import type { Execution } from "./execute_plan.ts";

/** The outcome of `execution` of `plan`; `what` names the CR in error messages. */
export function outcomeOf(
  execution: Execution,
  plan: Plan & { recheckAfterMs?: number },
  options: { what: string; recheckAfterMs?: number },
): Outcome {
  const recheck = plan.recheckAfterMs ?? options.recheckAfterMs;
  const recheckField = recheck === undefined ? {} : { recheckAfterMs: recheck };
  switch (execution.kind) {
    case "crFailed":
      // Deleted meanwhile: its deletion event has the last word.
      if (execution.error.reason === "NotFound") return { kind: "done" };
      return {
        kind: "retry",
        error: new Error(`Failed to update ${options.what}: ${execution.error.message}`, {
          cause: execution.error,
        }),
      };
    case "failed":
      return {
        kind: "retry",
        error: new Error(
          `Failed to write objects of ${options.what}: ${
            execution.failures.map((f) =>
              `${f.object.kind} ${f.object.metadata.namespace ?? ""}/${
                f.object.metadata.name ?? f.object.metadata.generateName ?? ""
              }: ${f.error.message}`
            ).join("; ")
          }`,
        ),
      };
    case "applied":
      break;
  }
  if (!plan.complete && plan.state === "Processing" && recheck !== undefined) {
    return { kind: "done", recheckAfterMs: recheck }; // Waiting for something to come up.
  }
  if (!plan.complete) {
    return {
      kind: "retry",
      error: new Error(`${options.what} is ${plan.state}: ${plan.description}`),
    };
  }
  if (plan.cr === undefined || plan.state === "Ready" || plan.state === "Deleting") {
    return plan.cr === undefined ? { kind: "done" } : { kind: "done", ...recheckField };
  }
  return {
    kind: "terminal",
    error: new Error(`${options.what} is ${plan.state}: ${plan.description}`),
    ...recheckField,
  };
}
