/**
 * The dashboard's decision feed: the last `capacity` decisions in a ring buffer, fanned out to
 * at most `maxClients` Server-Sent Events streams. A client that does not keep up (its queue
 * passes `maxQueued` events) is dropped rather than buffered without bound. The bucket levels
 * seen last are kept per bucket (bounded too) for "buckets near empty".
 */
import type { BucketLevel, DecisionEvent } from "../decisions.ts";

export interface DecisionFeed {
  /** The observer the data plane calls. */
  push(event: DecisionEvent): void;
  /** The buffered events, oldest first. */
  recent(): DecisionEvent[];
  /** Buckets whose last seen level is at or below `fraction` of their size, emptiest first. */
  lowBuckets(fraction: number): BucketLevel[];
  /** An SSE body of the buffered events, then live ones; undefined when the cap is reached. */
  stream(signal?: AbortSignal): ReadableStream<Uint8Array> | undefined;
  clients(): number;
  /** Ends every stream (shutdown). */
  close(): void;
}

export interface FeedOptions {
  capacity?: number;
  maxClients?: number;
  maxQueued?: number;
  /** Comment lines keeping idle streams open through proxies (ms; 0: none). */
  heartbeatMs?: number;
}

const MAX_BUCKETS = 1_000;
const encoder = new TextEncoder();

export function createDecisionFeed(options: FeedOptions = {}): DecisionFeed {
  const capacity = options.capacity ?? 200;
  const maxClients = options.maxClients ?? 8;
  const maxQueued = options.maxQueued ?? 256;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const ring: (DecisionEvent | undefined)[] = new Array(capacity);
  let next = 0;
  let count = 0;
  const buckets = new Map<string, BucketLevel>();
  const subscribers = new Set<(chunk: Uint8Array) => void>();
  const closers = new Set<() => void>();

  function recent(): DecisionEvent[] {
    const out: DecisionEvent[] = [];
    for (let i = count; i > 0; i--) out.push(ring[(next - i + capacity) % capacity]!);
    return out;
  }

  return {
    push(event) {
      ring[next] = event;
      next = (next + 1) % capacity;
      if (count < capacity) count++;
      for (const level of event.buckets) {
        if (!buckets.has(level.policy) && buckets.size >= MAX_BUCKETS) continue;
        buckets.set(level.policy, level);
      }
      if (subscribers.size === 0) return;
      const chunk = frame(event);
      for (const send of subscribers) send(chunk);
    },
    recent,
    lowBuckets(fraction) {
      return [...buckets.values()]
        .filter((b) => b.remaining <= b.maxTokens * fraction)
        .sort((a, b) => a.remaining / a.maxTokens - b.remaining / b.maxTokens);
    },
    clients: () => subscribers.size,
    stream(signal) {
      if (subscribers.size >= maxClients) return undefined;
      let send: ((chunk: Uint8Array) => void) | undefined;
      let timer: ReturnType<typeof setInterval> | undefined;
      let end: (() => void) | undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          end = () => {
            if (send === undefined) return;
            subscribers.delete(send);
            closers.delete(end!);
            send = undefined;
            clearInterval(timer);
            signal?.removeEventListener("abort", end!);
            try {
              controller.close();
            } catch {
              // Already closed or cancelled.
            }
          };
          send = (chunk) => {
            if ((controller.desiredSize ?? 0) <= 0) end!();
            else controller.enqueue(chunk);
          };
          controller.enqueue(encoder.encode("retry: 2000\n\n"));
          for (const event of recent()) controller.enqueue(frame(event));
          subscribers.add(send);
          closers.add(end);
          if (heartbeatMs > 0) {
            timer = setInterval(() => send?.(encoder.encode(": keep-alive\n\n")), heartbeatMs);
          }
          signal?.addEventListener("abort", end, { once: true });
        },
        cancel() {
          end?.();
        },
      }, new CountQueuingStrategy({ highWaterMark: maxQueued }));
      return body;
    },
    close() {
      for (const end of [...closers]) end();
    },
  };
}

function frame(event: DecisionEvent): Uint8Array {
  return encoder.encode(`event: decision\ndata: ${JSON.stringify(event)}\n\n`);
}
