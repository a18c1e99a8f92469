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
  /** Keys currently held in process memory (bounded). */
  size(): number;
  close(): Promise<void>;
}

/** A store that answers in process memory, synchronously: local buckets, failure mode `local`. */
export interface MemoryBucketStore extends BucketStore {
  readonly remote: false;
  take(key: string, bucket: GlobalTokenBucket, algorithm: GlobalAlgorithm): Take;
}
