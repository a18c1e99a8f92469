/**
 * The streams of one connection by id, and the bookkeeping that bounds them: the concurrency
 * slots they hold (a stream closed by a reset keeps its slot while the application's work for it
 * goes on, `H2Stream.hold`), the highest stream id the client used, how many streams it opened,
 * and the ids the server reset lately, whose late frames are ignored rather than a connection
 * error (RFC 9113 §5.4.2).
 */
import type { H2Stream } from "./stream.ts";

/** Streams reset by the server whose late frames are ignored rather than a connection error. */
const RECENTLY_RESET = 512;

/** The open streams of a connection and their slots. */
export class StreamTable<T> {
  readonly #streams = new Map<number, H2Stream<T>>();
  readonly #recentlyReset = new Set<number>();
  #slots = 0;
  /** The highest stream id the client used (what a GOAWAY names). */
  lastId = 0;
  /** Streams opened so far (a count that does not move with no streams means idle). */
  opened = 0;

  get size(): number {
    return this.#streams.size;
  }

  get(id: number): H2Stream<T> | undefined {
    return this.#streams.get(id);
  }

  has(id: number): boolean {
    return this.#streams.has(id);
  }

  values(): IterableIterator<H2Stream<T>> {
    return this.#streams.values();
  }

  /** Whether a new stream would exceed `maxConcurrentStreams`. */
  full(maxConcurrentStreams: number): boolean {
    return this.#slots >= maxConcurrentStreams;
  }

  /** A new stream: it takes a slot. */
  add(stream: H2Stream<T>) {
    this.#streams.set(stream.id, stream);
    this.#slots++;
    this.opened++;
  }

  /** The stream closed: its queued answer is dropped, its slot freed unless its work goes on. */
  remove(stream: H2Stream<T>) {
    stream.state = "closed";
    stream.queued.length = 0;
    stream.queuedBytes = 0;
    this.#streams.delete(stream.id);
    if (!stream.holding) this.#slots--;
  }

  /** A closed stream's work ended (`H2Stream.release`): its slot is free. */
  releaseSlot() {
    this.#slots--;
  }

  /** The server reset stream `id`: its late frames are ignored for a while. */
  markReset(id: number) {
    this.#recentlyReset.add(id);
    if (this.#recentlyReset.size > RECENTLY_RESET) {
      const oldest = this.#recentlyReset.values().next().value;
      if (oldest !== undefined) this.#recentlyReset.delete(oldest);
    }
  }

  wasReset(id: number): boolean {
    return this.#recentlyReset.has(id);
  }

  /** Answer bytes the open streams hold until the peer's windows open. */
  queuedBytes(): number {
    let queued = 0;
    for (const stream of this.#streams.values()) queued += stream.queuedBytes;
    return queued;
  }
}
