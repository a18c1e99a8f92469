/**
 * The client's frames that belong to a stream (RFC 9113 §5.1, §6): HEADERS and CONTINUATION
 * carry a header block, always decoded so the HPACK table stays in step, that opens a request
 * (within SETTINGS_MAX_CONCURRENT_STREAMS, else REFUSED_STREAM; over the header list size, 431)
 * or ends it as trailers; DATA feeds the request within our windows; RST_STREAM ends it; PRIORITY
 * is checked and ignored; a stream's WINDOW_UPDATE lets its answer go on. Stream errors are
 * RST_STREAM (`Responder.reset`), connection errors go to the connection; a request that is still
 * arriving `requestTimeoutMs` after its stream opened is reset (slowloris).
 */
import { DEFAULT_WINDOW, ERROR, FLAG, MAX_WINDOW, readWord } from "./frames.ts";
import { HeaderBlock, headersFragment } from "./header_block.ts";
import { HpackDecoder } from "./hpack_decoder.ts";
import type { ConnectionLimits } from "./limits.ts";
import type { RecvFlow } from "./recv_flow.ts";
import { HeadCollector } from "./request_head.ts";
import type { Responder } from "./responder.ts";
import { H2Stream, type StreamHandler } from "./stream.ts";
import type { StreamTable } from "./stream_table.ts";

/** Header block bytes (compressed) per request: above twice the list limit is hostile. */
const HEADER_BLOCK_FACTOR = 2;
const EMPTY = new Uint8Array(0);

/** What the stream frames need of their connection (implemented by `Connection`). */
export interface StreamFramesControl {
  /** A connection error: GOAWAY with `code`, then close. */
  fail(code: number, reason: string): void;
  /** Counts a frame that makes no progress; false (the connection failed) once they flood. */
  unproductiveFrame(): boolean;
  /** Whether the final GOAWAY went out: new streams are ignored (§6.8). */
  goingAway(): boolean;
  /** The connection's tick count (a stream's age is counted in ticks). */
  ticks(): number;
}

/** The stream-level frames of one connection. */
export class StreamFrames<T> {
  readonly #table: StreamTable<T>;
  readonly #responder: Responder<T>;
  readonly #recv: RecvFlow;
  readonly #handler: StreamHandler<T>;
  readonly #limits: ConnectionLimits;
  readonly #control: StreamFramesControl;
  readonly #decoder = new HpackDecoder();
  /** A header block in CONTINUATION frames. */
  readonly #block: HeaderBlock;

  constructor(
    table: StreamTable<T>,
    responder: Responder<T>,
    options: {
      recv: RecvFlow;
      handler: StreamHandler<T>;
      limits: ConnectionLimits;
      control: StreamFramesControl;
    },
  ) {
    this.#table = table;
    this.#responder = responder;
    this.#recv = options.recv;
    this.#handler = options.handler;
    this.#limits = options.limits;
    this.#control = options.control;
    this.#block = new HeaderBlock(HEADER_BLOCK_FACTOR * options.limits.maxHeaderListBytes);
  }

  /** The stream whose header block waits for CONTINUATION (0: none). */
  get continuing(): number {
    return this.#block.stream;
  }

  headers(flags: number, id: number, payload: Uint8Array) {
    if (id === 0 || id % 2 === 0) {
      return this.#control.fail(ERROR.PROTOCOL_ERROR, "HEADERS on a bad stream");
    }
    const fragment = headersFragment(flags, id, payload);
    if (!fragment.ok) return this.#control.fail(fragment.code, fragment.reason);
    const { from, to } = fragment;
    // A stream depending on itself is refused (§5.3.1); its block is still decoded for HPACK.
    if (fragment.selfDependent) this.#table.markReset(id);
    if ((flags & FLAG.END_HEADERS) === 0) {
      if (to === from && !this.#control.unproductiveFrame()) return;
      if (!this.#block.start(id, flags, payload.subarray(from, to))) this.#blockTooLarge();
      return;
    }
    this.#headerBlock(id, flags, payload, from, to);
  }

  continuation(flags: number, id: number, payload: Uint8Array) {
    if (this.#block.stream === 0 || id !== this.#block.stream) {
      return this.#control.fail(ERROR.PROTOCOL_ERROR, "unexpected CONTINUATION");
    }
    if (payload.length === 0 && (flags & FLAG.END_HEADERS) === 0) {
      if (!this.#control.unproductiveFrame()) return;
    }
    if (!this.#block.add(payload)) return this.#blockTooLarge();
    if ((flags & FLAG.END_HEADERS) === 0) return;
    const blockFlags = this.#block.flags;
    const block = this.#block.finish();
    this.#headerBlock(id, blockFlags, block, 0, block.length);
  }

  #blockTooLarge() {
    this.#control.fail(ERROR.ENHANCE_YOUR_CALM, "header block too large");
  }

  /** A complete header block: decoded (always, for the table), then a request or trailers. */
  #headerBlock(id: number, flags: number, block: Uint8Array, from: number, to: number) {
    const stream = this.#table.get(id);
    const collector = new HeadCollector(this.#limits.maxHeaderListBytes, stream !== undefined);
    if (!this.#decoder.decode(block, from, to, (name, value) => collector.add(name, value))) {
      return this.#control.fail(ERROR.COMPRESSION_ERROR, "invalid header block");
    }
    const endStream = (flags & FLAG.END_STREAM) !== 0;
    if (stream !== undefined) {
      // Trailers: they end the request.
      if (stream.state !== "open") return this.#responder.reset(id, ERROR.STREAM_CLOSED);
      if (!endStream || collector.malformed) return this.#responder.reset(id, ERROR.PROTOCOL_ERROR);
      stream.state = "remote-closed";
      this.#handler.data(stream, EMPTY, true);
      return;
    }
    if (id <= this.#table.lastId) {
      if (this.#table.wasReset(id)) return void this.#control.unproductiveFrame();
      return this.#control.fail(ERROR.STREAM_CLOSED, "HEADERS on a closed stream");
    }
    this.#table.lastId = id;
    // Past the final GOAWAY new streams are ignored (§6.8), and so are their late frames.
    if (this.#control.goingAway()) return this.#table.markReset(id);
    if (this.#table.wasReset(id)) return this.#responder.reset(id, ERROR.PROTOCOL_ERROR);
    if (this.#table.full(this.#limits.maxConcurrentStreams)) {
      if (!this.#control.unproductiveFrame()) return;
      return this.#responder.reset(id, ERROR.REFUSED_STREAM);
    }
    const opened = new H2Stream<T>(id, this.#responder, {
      recv: DEFAULT_WINDOW,
      send: this.#responder.initialWindow,
      tick: this.#control.ticks(),
    });
    if (collector.tooLarge) {
      this.#open(opened, endStream);
      opened.respond([[":status", "431"]], true);
      return;
    }
    const head = collector.head();
    if (head === undefined) return this.#responder.reset(id, ERROR.PROTOCOL_ERROR);
    this.#open(opened, endStream);
    this.#handler.open(opened, head, endStream);
  }

  #open(stream: H2Stream<T>, endStream: boolean) {
    this.#table.add(stream);
    if (endStream) stream.state = "remote-closed";
  }

  data(flags: number, id: number, payload: Uint8Array) {
    if (id === 0) return this.#control.fail(ERROR.PROTOCOL_ERROR, "DATA on stream 0");
    if (id > this.#table.lastId) {
      return this.#control.fail(ERROR.PROTOCOL_ERROR, "DATA on an idle stream");
    }
    if (!this.#recv.take(payload.length)) {
      return this.#control.fail(ERROR.FLOW_CONTROL_ERROR, "connection window exceeded");
    }
    const endStream = (flags & FLAG.END_STREAM) !== 0;
    if (payload.length === 0 && !endStream && !this.#control.unproductiveFrame()) return;
    let from = 0;
    let to = payload.length;
    if (flags & FLAG.PADDED) {
      if (payload.length < 1 || payload[0]! >= payload.length) {
        return this.#control.fail(ERROR.PROTOCOL_ERROR, "bad padding");
      }
      from = 1;
      to -= payload[0]!;
    }
    const stream = this.#table.get(id);
    if (stream === undefined) {
      if (this.#table.wasReset(id)) return;
      return this.#control.fail(ERROR.STREAM_CLOSED, "DATA on a closed stream");
    }
    if (stream.state !== "open") return this.#responder.reset(id, ERROR.STREAM_CLOSED);
    if (!this.#recv.takeStream(stream, payload.length, endStream)) {
      return this.#responder.reset(id, ERROR.FLOW_CONTROL_ERROR);
    }
    if (endStream) stream.state = "remote-closed";
    this.#handler.data(stream, payload.subarray(from, to), endStream);
  }

  /** A WINDOW_UPDATE on stream `id` (not 0) whose frame was valid. */
  windowUpdate(id: number, increment: number) {
    if (id > this.#table.lastId) {
      return this.#control.fail(ERROR.PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream");
    }
    const stream = this.#table.get(id);
    if (stream === undefined) return; // closed: allowed (RFC 9113 §5.1)
    if (increment === 0) return this.#responder.reset(id, ERROR.PROTOCOL_ERROR);
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) return this.#responder.reset(id, ERROR.FLOW_CONTROL_ERROR);
    this.#responder.sendData(stream);
  }

  rstStream(id: number, payload: Uint8Array) {
    if (id === 0) return this.#control.fail(ERROR.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (payload.length !== 4) {
      return this.#control.fail(ERROR.FRAME_SIZE_ERROR, "RST_STREAM of bad size");
    }
    if (id > this.#table.lastId) {
      return this.#control.fail(ERROR.PROTOCOL_ERROR, "RST_STREAM on an idle stream");
    }
    if (!this.#control.unproductiveFrame()) return;
    const stream = this.#table.get(id);
    if (stream === undefined) return;
    this.#responder.close(stream);
    this.#handler.reset(stream);
  }

  priority(id: number, payload: Uint8Array) {
    if (id === 0) return this.#control.fail(ERROR.PROTOCOL_ERROR, "PRIORITY on stream 0");
    if (!this.#control.unproductiveFrame()) return;
    if (payload.length !== 5) return this.#responder.reset(id, ERROR.FRAME_SIZE_ERROR);
    if ((readWord(payload, 0) & 0x7fffffff) === id) {
      return this.#responder.reset(id, ERROR.PROTOCOL_ERROR);
    }
  }

  /** Resets the requests still arriving `requestTimeoutMs` after their stream opened. */
  expire(ticks: number, tickMs: number) {
    // A request still arriving after `requestTimeoutMs` holds memory for nothing (slowloris).
    for (const stream of this.#table.values()) {
      const age = (ticks - stream.openedTick) * tickMs;
      if (stream.state === "open" && age > this.#limits.requestTimeoutMs) {
        this.#responder.reset(stream.id, ERROR.CANCEL);
      }
    }
  }
}
