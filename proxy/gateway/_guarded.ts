/** The one safety net of the gateway config compiler (`config.ts`). */

/** A problem naming the object, assignable to config.ts's `ConfigProblem` (no import: no cycle). */
export interface GuardProblem {
  object: string;
  reason: string;
}

/**
 * `compile()`, or — when it throws anyway on a shape validation let through — a problem naming
 * the object, so one bad object is not served instead of the whole config failing.
 */
export function guarded<T>(object: Record<string, unknown>, compile: () => T): T | GuardProblem {
  try {
    return compile();
  } catch (error) {
    const meta = isRecord(object.metadata) ? object.metadata : {};
    return {
      object: `${object.kind} ${meta.namespace ?? "default"}/${meta.name ?? "(unnamed)"}`,
      reason: `Cannot compile: unexpected shape (${
        error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      })`,
    };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
