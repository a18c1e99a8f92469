/**
 * The in-memory bucket store: per-process buckets when no Redis is configured, and the `local`
 * failure mode's fallback. Bounded (§8 #32): past `maxKeys` the least recently used key is
 * dropped, which only ever forgets spent tokens (an evicted bucket reads as full), and full
 * buckets keep no state at all.
 */
import type { GlobalAlgorithm } from "../../api/ratelimit/v1alpha1.ts";
import { countWindow, type WindowState } from "../../core/ratelimit/fixed_window.ts";
import type { GlobalTokenBucket } from "../../core/ratelimit/global.ts";
import { type BucketState, type Take, takeToken } from "../../core/ratelimit/token_bucket.ts";
import type { MemoryBucketStore, WindowHit } from "./store.ts";

export interface MemoryStoreOptions {
  maxKeys: number;
  /** Monotonic milliseconds (§8 #33); `performance.now` unless a test drives time. */
  now?: () => number;
}

/** A bounded in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions): MemoryBucketStore {
  const now = options.now ?? (() => performance.now());
  const states = new Map<string, BucketState | WindowState>();
  const counters = new Map<string, { count: number; expiresAt: number }>();
  return {
    remote: false as const,
    take(key: string, bucket: GlobalTokenBucket, algorithm: GlobalAlgorithm): Take {
      const previous = states.get(key);
      // Map order is insertion order: delete and set again to keep recent keys last.
      if (previous !== undefined) states.delete(key);
      const step = algorithm === "fixedWindow"
        ? countWindow(
          previous !== undefined && "count" in previous ? previous : undefined,
          bucket,
          now(),
        )
        : takeToken(
          previous !== undefined && "tokens" in previous ? previous : undefined,
          bucket,
          now(),
        );
      if (step.state !== undefined) {
        states.set(key, step.state);
        while (states.size > options.maxKeys) {
          const oldest = states.keys().next().value;
          if (oldest === undefined) break;
          states.delete(oldest);
        }
      }
      return step.take;
    },
    addHits(hits: readonly WindowHit[]): number[] {
      const at = Date.now();
      return hits.map(({ key, hits, windowSeconds }) => {
        const previous = counters.get(key);
        counters.delete(key);
        const count = (previous !== undefined && previous.expiresAt > at ? previous.count : 0) +
          hits;
        counters.set(key, { count, expiresAt: at + windowSeconds * 1000 });
        while (counters.size > options.maxKeys) {
          const oldest = counters.keys().next().value;
          if (oldest === undefined) break;
          counters.delete(oldest);
        }
        return count;
      });
    },
    size: () => states.size + counters.size,
    close: () => Promise.resolve(),
  };
}
