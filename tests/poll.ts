/** Polling with a deadline, instead of bare sleeps. */

export interface PollOptions {
  /** Give up after this long; defaults to 10 s. */
  timeoutMs?: number;
  /** Pause between attempts; defaults to 100 ms. */
  intervalMs?: number;
  /** Named in the timeout error, e.g. "kube-apiserver /readyz". */
  what?: string;
  /** Stops polling at once with the signal's reason, e.g. when the awaited process exited. */
  signal?: AbortSignal;
}

/**
 * Calls `fn` until it returns a value other than `undefined`, and returns that value.
 *
 * A thrown error counts as "not yet"; the last one is the `cause` of the timeout error.
 */
export async function poll<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  options: PollOptions = {},
): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 100, what = "condition", signal } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (true) {
    signal?.throwIfAborted();
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`, {
        cause: lastError,
      });
    }
    await pause(Math.min(intervalMs, Math.max(0, deadline - Date.now())), signal);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}
