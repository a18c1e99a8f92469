/** A manual clock for queue tests: time moves only when `advance()` says so. */
import type { Clock } from "./queue.ts";

export class FakeClock implements Clock {
  #now = 0;
  #timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];

  now(): number {
    return this.#now;
  }

  schedule(fn: () => void, ms: number): () => void {
    const timer = { at: this.#now + ms, fn, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves time forward, running due timers in time order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    while (true) {
      const due = this.#timers.filter((t) =>
        !t.cancelled && t.at <= until
      ).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#now = due.at;
      due.cancelled = true;
      due.fn();
    }
    this.#now = until;
    this.#timers = this.#timers.filter((t) => !t.cancelled);
  }

  /** Timers not yet run or cancelled. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }
}
