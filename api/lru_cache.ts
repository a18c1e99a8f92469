/**
 * A map that keeps at most `capacity` entries and forgets the least recently used one first:
 * the bound for caches of values derived from request data (compiled regexes, regex verdicts),
 * so a stream of distinct keys costs a recomputation, never unbounded memory.
 */
export class LruCache<K, V> {
  readonly capacity: number;
  // A Map iterates in insertion order: re-inserting on every hit keeps the oldest use first.
  readonly #entries = new Map<K, V>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot create LruCache: capacity ${capacity} is not a positive integer`,
      );
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value of `key`, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key)!;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Stores `value` as the most recently used, dropping the least recently used when full. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }

  /** The cached value of `key`, or `compute(key)` stored first; a throw stores nothing. */
  getOrCompute(key: K, compute: (key: K) => V): V {
    if (this.#entries.has(key)) return this.get(key)!;
    const value = compute(key);
    this.set(key, value);
    return value;
  }
}
