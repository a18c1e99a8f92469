/**
 * A connection's outgoing bytes: frames are queued and written in one `write` per batch (the
 * frames answering one read, or the answers settled in one microtask), one write at a time. The
 * read loop waits while more than `HIGH_WATER` bytes are unwritten, so a peer that does not read
 * stops being read; a write the peer does not take at all is found by `stalledFor`, and answers
 * piling up past `maxBacklog` for a peer that does not read end the connection.
 */

const HIGH_WATER = 256 * 1024;

/** The queue and the one write in flight of a connection. */
export class ConnectionWriter {
  readonly #conn: Deno.Conn;
  readonly #onError: () => void;
  readonly #maxBacklog: number;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #writingBytes = 0;
  #writeStarted = 0;
  #writing: Promise<void> | undefined;
  #scheduled = false;
  #closed = false;

  constructor(conn: Deno.Conn, options: { onError(): void; maxBacklog: number }) {
    this.#conn = conn;
    this.#onError = options.onError;
    this.#maxBacklog = options.maxBacklog;
  }

  queue(bytes: Uint8Array) {
    if (this.#closed) return;
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    if (this.#queuedBytes + this.#writingBytes > this.#maxBacklog) {
      this.close();
      this.#onError();
    }
  }

  /** Writes the queue after the current microtask (answers settling together share a write). */
  flushSoon() {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** Starts writing the queue unless a write is under way (it picks the queue up when done). */
  flush() {
    if (this.#writing !== undefined || this.#closed || this.#queue.length === 0) return;
    this.#writing = this.#writeAll().finally(() => {
      this.#writing = undefined;
      // Frames queued after the last write's loop ended but before this ran saw a write under
      // way and left them to it: they go now, not with the next read's write.
      this.flush();
    });
  }

  async #writeAll() {
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const chunk = this.#queue.length === 1
          ? this.#queue[0]!
          : concat(this.#queue, this.#queuedBytes);
        this.#queue = [];
        this.#queuedBytes = 0;
        this.#writingBytes = chunk.length;
        this.#writeStarted = performance.now();
        for (let at = 0; at < chunk.length;) at += await this.#conn.write(chunk.subarray(at));
        this.#writingBytes = 0;
        this.#writeStarted = 0;
      }
    } catch {
      this.#writingBytes = 0;
      this.#writeStarted = 0;
      this.#onError();
    }
  }

  /** Resolves once the unwritten bytes are under the high-water mark (at once if they are). */
  async drained(): Promise<void> {
    while (this.#queuedBytes + this.#writingBytes > HIGH_WATER && this.#writing !== undefined) {
      await this.#writing;
    }
  }

  /** Resolves when nothing is left to write (or the connection is closed). */
  async idle(): Promise<void> {
    this.flush();
    while (this.#writing !== undefined) {
      await this.#writing;
      this.flush();
    }
  }

  /** How long the current write has waited for the peer (0 when none waits). */
  stalledFor(now: number): number {
    return this.#writeStarted === 0 ? 0 : now - this.#writeStarted;
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }
}

/** `parts` (of `length` bytes in all) in one buffer. */
export function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
