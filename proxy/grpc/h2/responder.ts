/**
 * The sending side of a connection's streams (the `StreamOwner` its `H2Stream`s call): response
 * HEADERS, whole answers in one buffer, DATA as far as the peer's windows allow (`SendFlow`, which
 * also takes the peer's SETTINGS and connection WINDOW_UPDATEs), RST_STREAM, and closing a stream
 * once its answer ended or it was reset. Answers waiting for a peer whose windows stay shut are
 * capped (`maxQueuedSendBytes` over all streams): past it the connection fails, ENHANCE_YOUR_CALM.
 */
import { ERROR, TYPE, wordsFrame } from "./frames.ts";
import { SendFlow } from "./send_flow.ts";
import type { PeerSettings } from "./settings.ts";
import type { H2Stream, StreamHandler, StreamOwner } from "./stream.ts";
import type { StreamTable } from "./stream_table.ts";
import type { ConnectionWriter } from "./writer.ts";

/** What the sending side needs of its connection (implemented by `Connection`). */
export interface ResponderControl {
  /** Whether the connection has ended: nothing more is sent. */
  closed(): boolean;
  /** A connection error: GOAWAY with `code`, then close. */
  fail(code: number, reason: string): void;
  /** A request was answered: the count of frames that make no progress starts over. */
  answered(): void;
  /** The last open stream closed. */
  emptied(): void;
}

/** Sends what a connection's streams answer, and closes them. */
export class Responder<T> implements StreamOwner {
  readonly peer: string | undefined;
  readonly #table: StreamTable<T>;
  readonly #writer: ConnectionWriter;
  readonly #flow: SendFlow;
  readonly #handler: StreamHandler<T>;
  readonly #control: ResponderControl;
  readonly #maxQueuedSendBytes: number;

  constructor(
    table: StreamTable<T>,
    writer: ConnectionWriter,
    options: {
      handler: StreamHandler<T>;
      control: ResponderControl;
      peer: string | undefined;
      maxQueuedSendBytes: number;
    },
  ) {
    this.#table = table;
    this.#writer = writer;
    this.#flow = new SendFlow(writer);
    this.#handler = options.handler;
    this.#control = options.control;
    this.peer = options.peer;
    this.#maxQueuedSendBytes = options.maxQueuedSendBytes;
  }

  /** The peer's send window a new stream starts with (SETTINGS_INITIAL_WINDOW_SIZE). */
  get initialWindow(): number {
    return this.#flow.initialWindow;
  }

  /** The peer's SETTINGS took effect; false when a stream window overflows. */
  peerSettings({ initialWindowSize, maxFrameSize }: PeerSettings): boolean {
    if (maxFrameSize !== undefined) this.#flow.maxFrameSize = maxFrameSize;
    if (initialWindowSize !== undefined) {
      if (!this.#flow.setInitialWindow(initialWindowSize, this.#table.values())) return false;
      for (const stream of [...this.#table.values()]) this.sendData(stream);
    }
    return true;
  }

  /** A connection WINDOW_UPDATE: the streams it waited for go on; false when it overflows. */
  grow(increment: number): boolean {
    const waiting = this.#flow.grow(increment);
    if (waiting === undefined) return false;
    for (const stream of waiting) this.sendData(stream);
    return true;
  }

  sendHeaders(stream: H2Stream<unknown>, block: Uint8Array, endStream: boolean) {
    if (this.#control.closed() || !this.#table.has(stream.id)) return;
    this.#flow.headers(stream, block, endStream);
    if (endStream) this.#ended(stream);
  }

  sendWhole(stream: H2Stream<unknown>, head: Uint8Array, data: Uint8Array, trailers: Uint8Array) {
    if (this.#control.closed() || !this.#table.has(stream.id)) return;
    if (this.#flow.whole(stream, head, data, trailers)) {
      this.#ended(stream);
      return;
    }
    // The windows or the frame size split the answer: the general path.
    this.#flow.headers(stream, head, false);
    stream.queued.push(data);
    stream.queuedBytes += data.length;
    stream.trailers = trailers;
    this.sendData(stream);
  }

  sendData(stream: H2Stream<unknown>) {
    if (this.#control.closed() || !this.#table.has(stream.id)) return;
    const before = stream.queuedBytes;
    if (this.#flow.pump(stream)) this.#ended(stream);
    else if (stream.queuedBytes > 0) {
      // The peer's windows hold the rest back; bytes that went out start the wait over.
      if (stream.blockedAt === 0 || stream.queuedBytes < before) {
        stream.blockedAt = performance.now();
      }
      this.#checkQueued();
    } else stream.blockedAt = 0;
    this.#writer.flushSoon();
  }

  /**
   * Resets (CANCEL) the streams whose answer the peer's windows have held back for longer than
   * `timeoutMs`: a peer that never opens them would keep the streams, their slots and the
   * connection (never idle) for ever.
   */
  expireStalled(now: number, timeoutMs: number) {
    for (const stream of this.#table.values()) {
      if (stream.blockedAt > 0 && stream.queuedBytes > 0 && now - stream.blockedAt > timeoutMs) {
        this.reset(stream.id, ERROR.CANCEL);
      }
    }
  }

  /** Answers waiting for the peer's windows stay under the cap. */
  #checkQueued() {
    if (this.#table.queuedBytes() > this.#maxQueuedSendBytes) {
      this.#control.fail(ERROR.ENHANCE_YOUR_CALM, "the peer does not take its answers");
    }
  }

  resetStream(stream: H2Stream<unknown>, code: number) {
    this.reset(stream.id, code);
  }

  releaseSlot(_stream: H2Stream<unknown>) {
    this.#table.releaseSlot();
  }

  /** The server's END_STREAM went out: the request was answered. */
  #ended(stream: H2Stream<unknown>) {
    const own = this.#table.get(stream.id);
    if (own === undefined) return;
    if (own.state === "open") {
      // Answered before the request ended (a refused message): stop the client sending.
      this.#writer.queue(wordsFrame(TYPE.RST_STREAM, 0, own.id, [ERROR.NO_ERROR]));
      this.#table.markReset(own.id);
    } else this.#control.answered();
    this.close(own);
    this.#writer.flushSoon();
  }

  /** A stream error: RST_STREAM with `code`; an open stream closes and its handler hears of it. */
  reset(id: number, code: number) {
    this.#writer.queue(wordsFrame(TYPE.RST_STREAM, 0, id, [code]));
    this.#table.markReset(id);
    const stream = this.#table.get(id);
    if (stream !== undefined) {
      this.close(stream);
      this.#handler.reset(stream);
    }
    this.#writer.flushSoon();
  }

  /** The stream is done (answered or reset): it leaves the table and waits for no window. */
  close(stream: H2Stream<T>) {
    this.#table.remove(stream);
    this.#flow.forget(stream);
    if (this.#table.size === 0) this.#control.emptied();
  }

  /** The connection ended: every open stream closes and its handler hears of it. */
  closeAll() {
    for (const stream of [...this.#table.values()]) {
      this.close(stream);
      this.#handler.reset(stream);
    }
  }
}
