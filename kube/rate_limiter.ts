/**
 * The work queue's retry delays (docs/spec/operator-config.md §1.1): per key an exponential delay from
 * `baseDelayMs`, doubling per failure up to `maxDelayMs`, combined (the larger wins) with one
 * token bucket shared by all keys (`qps` refill, `burst` capacity), as controller-runtime's
 * default controller rate limiter does.
 */

export interface RateLimiterOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  qps: number;
  burst: number;
}

export class RateLimiter {
  readonly #options: RateLimiterOptions;
  readonly #now: () => number;
  readonly #failures = new Map<string, number>();
  #tokens: number;
  #updated: number;

  constructor(options: RateLimiterOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
    this.#tokens = options.burst;
    this.#updated = now();
  }

  /** The delay before the next retry of `key`; counts the failure. */
  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const exponential = Math.min(
      this.#options.maxDelayMs,
      this.#options.baseDelayMs * 2 ** failures,
    );
    return Math.max(exponential, this.#reserveToken());
  }

  /** Forgets the failures of `key` (it succeeded). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** How often `key` failed in a row. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  // Takes one token, possibly on credit; the delay is how long until that token exists.
  #reserveToken(): number {
    const now = this.#now();
    const { qps, burst } = this.#options;
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#updated) / 1000) * qps);
    this.#updated = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / qps) * 1000);
  }
}
