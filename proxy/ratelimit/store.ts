/**
 * The narrow interface the limiter decides over (STYLE §8): take one token of a bucket for a key.
 * A store that cannot answer rejects (Redis down or slow); the limiter then applies the bucket's
 * failure mode. In-memory and Redis stores are interchangeable.
 */
import type { GlobalAlgorithm } from "../../api/ratelimit/v1alpha1.ts";
import type { GlobalTokenBucket } from "../../core/ratelimit/global.ts";
import type { Take } from "../../core/ratelimit/token_bucket.ts";

export interface BucketStore {
  /** `remote` stores may fail; the in-memory store never does and answers synchronously. */
  readonly remote: boolean;
  take(
    key: string,
    bucket: GlobalTokenBucket,
    algorithm: GlobalAlgorithm,
  ): Take | Promise<Take>;
  /**
   * Adds `hits` to each fixed-window counter and answers the counts after the addition, in
   * order (envoyproxy/ratelimit's `INCRBY` + `EXPIRE`; the window is in the key).
   */
  addHits(hits: readonly WindowHit[]): readonly number[] | Promise<readonly number[]>;
  /** Keys currently held in process memory (bounded). */
  size(): number;
  close(): Promise<void>;
}

/** One counter of a wall-clock window: `key` names the window, kept `windowSeconds` at least. */
export interface WindowHit {
  readonly key: string;
  readonly hits: number;
  readonly windowSeconds: number;
}

/** A store that answers in process memory, synchronously: local buckets, failure mode `local`. */
export interface MemoryBucketStore extends BucketStore {
  readonly remote: false;
  take(key: string, bucket: GlobalTokenBucket, algorithm: GlobalAlgorithm): Take;
  addHits(hits: readonly WindowHit[]): readonly number[];
}
