/**
 * A controller's work queue (STYLE §3): keys, not events. A key waiting in the queue is there
 * once however often it is added; a key being processed is never handed out again until `done()`,
 * and an add meanwhile makes it come back right after. Delayed adds (periodic re-checks) and
 * rate-limited adds (retries) wait on timers; an immediate add supersedes a pending delayed one.
 * Modeled on client-go's workqueue.
 */
import { RateLimiter, type RateLimiterOptions } from "./rate_limiter.ts";

/** Timers the queue uses; tests pass a fake clock. */
export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  schedule(fn, ms) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

export interface QueueStats {
  /** Keys ready to be processed. */
  depth: number;
  /** Keys being processed. */
  busy: number;
  /** Keys waiting for a retry (after a failure). */
  retrying: number;
  /** Keys waiting for a scheduled re-check. */
  scheduled: number;
}

export class WorkQueue {
  readonly #ready: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiting = new Map<string, { at: number; cancel: () => void; retry: boolean }>();
  readonly #getters: Array<(key: string | undefined) => void> = [];
  readonly #limiter: RateLimiter;
  readonly #clock: Clock;
  #shutDown = false;
  /** Called on every add, for metrics. */
  onAdd: (() => void) | undefined;

  constructor(limits: RateLimiterOptions, clock: Clock = REAL_CLOCK) {
    this.#clock = clock;
    this.#limiter = new RateLimiter(limits, () => clock.now());
  }

  /** Queues `key` now. */
  add(key: string): void {
    if (this.#shutDown) return;
    this.#cancelWaiting(key);
    this.onAdd?.();
    if (this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return; // Re-queued by done().
    this.#hand(key);
  }

  /** Queues `key` after `ms`, unless it is due earlier already. */
  addAfter(key: string, ms: number, options: { retry?: boolean } = {}): void {
    if (this.#shutDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.#clock.now() + ms;
    const pending = this.#waiting.get(key);
    if (pending !== undefined && pending.at <= at) return;
    pending?.cancel();
    const cancel = this.#clock.schedule(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { at, cancel, retry: options.retry ?? false });
  }

  /** Queues `key` for a retry after its backoff delay; returns the delay. */
  addRateLimited(key: string): number {
    const delay = this.#limiter.when(key);
    this.addAfter(key, delay, { retry: true });
    return delay;
  }

  /** Resets the backoff of `key` (its reconcile succeeded). */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  /** How many times in a row `key` was retried. */
  retries(key: string): number {
    return this.#limiter.failures(key);
  }

  /** The next key to process; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.#shutDown) return Promise.resolve(undefined);
    const key = this.#ready.shift();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Marks `key` processed; it comes back at once if it was added meanwhile. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shutDown) this.#hand(key);
  }

  /** Stops handing out keys; pending `get()`s resolve undefined; timers are cleared. */
  shutDown(): void {
    this.#shutDown = true;
    for (const { cancel } of this.#waiting.values()) cancel();
    this.#waiting.clear();
    for (const getter of this.#getters.splice(0)) getter(undefined);
  }

  get stats(): QueueStats {
    let retrying = 0;
    for (const entry of this.#waiting.values()) if (entry.retry) retrying++;
    return {
      depth: this.#ready.length,
      busy: this.#processing.size,
      retrying,
      scheduled: this.#waiting.size - retrying,
    };
  }

  #hand(key: string): void {
    const getter = this.#getters.shift();
    if (getter !== undefined) getter(this.#take(key));
    else this.#ready.push(key);
  }

  #take(key: string): string {
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #cancelWaiting(key: string): void {
    const pending = this.#waiting.get(key);
    if (pending === undefined) return;
    pending.cancel();
    this.#waiting.delete(key);
  }
}

/**
 * Runs `handle` for keys of `queue` on `concurrency` workers until the queue is shut down; each
 * key is `done()` after its handler settles. Resolves when every worker has stopped.
 */
export async function runWorkers(
  queue: WorkQueue,
  concurrency: number,
  handle: (key: string) => Promise<void>,
): Promise<void> {
  async function worker(): Promise<void> {
    while (true) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await handle(key);
      } finally {
        queue.done(key);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}
