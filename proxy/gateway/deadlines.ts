/**
 * Coarse request deadlines: one interval timer sweeps every pending deadline, instead of a timer
 * per upstream call (a `setTimeout` and its `clearTimeout` cost `apigw serve` about 3 % of its CPU
 * per proxied request, bench/README.md "serve"). A deadline fires within `GRANULARITY_MS` after
 * it is due; the interval runs only while deadlines are pending and never keeps the process
 * alive.
 */

/** How late a deadline may fire. Route timeouts are whole seconds or more. */
export const GRANULARITY_MS = 50;

interface Pending {
  at: number;
  controller: AbortController;
}

/** One armed deadline: its signal aborts when it is due; `clear()` disarms it. */
export interface Deadline {
  signal: AbortSignal;
  clear(): void;
}

/** Deadlines that share one sweeping timer. */
export class Deadlines {
  readonly #pending = new Set<Pending>();
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(now: () => number = performance.now.bind(performance)) {
    this.#now = now;
  }

  /** A deadline `ms` from now. */
  arm(ms: number): Deadline {
    const entry: Pending = { at: this.#now() + ms, controller: new AbortController() };
    this.#pending.add(entry);
    if (this.#timer === undefined) {
      const timer = setInterval(() => this.#sweep(), GRANULARITY_MS);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
    return {
      signal: entry.controller.signal,
      clear: () => this.#remove(entry),
    };
  }

  /** Deadlines armed and neither due nor cleared yet. */
  get size(): number {
    return this.#pending.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const entry of this.#pending) {
      if (entry.at > now) continue;
      this.#remove(entry);
      entry.controller.abort(new DOMException("Deadline exceeded", "TimeoutError"));
    }
  }

  #remove(entry: Pending): void {
    if (!this.#pending.delete(entry) || this.#pending.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
