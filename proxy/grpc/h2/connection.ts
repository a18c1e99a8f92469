/**
 * One server-side HTTP/2 connection over cleartext TCP with prior knowledge (h2c, RFC 9113 §3.3),
 * as Envoy opens it to a gRPC cluster. A read loop parses frames in place, hands complete request
 * header sections and DATA to the application (`StreamHandler`) and answers SETTINGS, PING and
 * flow control; everything the server sends during one read goes out in one write. Hostile input
 * meets a limit, never an unbounded buffer or loop: the frame size, the header block size and
 * frame count, the header list size, concurrent streams (including reset streams whose work goes
 * on), the peer's unanswered writes, and frames that make no progress (PING, SETTINGS, RST_STREAM,
 * empty DATA or CONTINUATION, …: more than `maxUnproductiveFrames` between two answered requests
 * is a flood, GOAWAY ENHANCE_YOUR_CALM). Connection errors are GOAWAY then close, stream errors
 * RST_STREAM.
 */
import { HpackDecoder } from "./hpack_decoder.ts";
import { HeadCollector, type RequestHead } from "./request_head.ts";
import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ERROR,
  FLAG,
  frame,
  FRAME_HEADER_BYTES,
  goaway,
  MAX_WINDOW,
  PREFACE,
  readWord,
  SETTING,
  settingsFrame,
  TYPE,
  wordsFrame,
} from "./frames.ts";
import { H2Stream, type StreamOwner } from "./stream.ts";
import { HeaderBlock, headersFragment } from "./header_block.ts";
import { parseSettings } from "./settings.ts";
import { SendFlow } from "./send_flow.ts";
import { ConnectionWriter } from "./writer.ts";

/** What one connection may cost the server (`h2_unary_server.ts` sets the defaults). */
export interface ConnectionLimits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS, counting reset streams whose work still runs. */
  maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE (RFC 7541 sizes); a larger request gets 431. */
  maxHeaderListBytes: number;
  /** Control and empty frames allowed between two answered requests. */
  maxUnproductiveFrames: number;
  /** Bytes of answers one connection may hold for a peer (its windows closed, or not reading). */
  maxQueuedSendBytes: number;
  /** Preface, SETTINGS and the ACK of ours must arrive within this. */
  handshakeTimeoutMs: number;
  /** A connection without streams this long is drained (GOAWAY NO_ERROR). */
  idleTimeoutMs: number;
  /** A request (its headers and message) must have arrived this long after its stream opened. */
  requestTimeoutMs: number;
  /** A write the peer does not take within this ends the connection. */
  writeTimeoutMs: number;
}

/** The application on top of a connection; `T` is what it keeps per stream (`H2Stream.app`). */
export interface StreamHandler<T> {
  /** A request's header section arrived (`endStream`: and no body follows). */
  open(stream: H2Stream<T>, head: RequestHead, endStream: boolean): void;
  /** Request DATA; `chunk` is only valid during the call (copy what you keep). */
  data(stream: H2Stream<T>, chunk: Uint8Array, endStream: boolean): void;
  /** The client reset the stream or the connection ended: nothing more can be sent on it. */
  reset(stream: H2Stream<T>): void;
}

/** Our connection window: raised once after SETTINGS, topped up at half. */
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** Header block bytes (compressed) per request: above twice the list limit is hostile. */
const HEADER_BLOCK_FACTOR = 2;
/** Streams reset by the server whose late frames are ignored rather than a connection error. */
const RECENTLY_RESET = 512;
const READ_BUFFER_BYTES = 32 * 1024;
const TICK_MS = 1_000;
const EMPTY = new Uint8Array(0);

/** One accepted connection, served from construction until `done` resolves. */
export class Connection<T> implements StreamOwner {
  readonly peer: string | undefined;
  readonly #conn: Deno.TcpConn;
  readonly #handler: StreamHandler<T>;
  readonly #limits: ConnectionLimits;
  readonly #onBug: (error: unknown) => void;
  readonly #writer: ConnectionWriter;
  readonly #decoder = new HpackDecoder();
  readonly #streams = new Map<number, H2Stream<T>>();
  readonly #recentlyReset = new Set<number>();
  #slots = 0;
  #lastStreamId = 0;
  #prefaceAt = 0;
  #settingsReceived = false;
  #settingsAcked = false;
  #unproductive = 0;
  /** Streams opened so far, and as the last tick saw them: no change with no streams is idle. */
  #opened = 0;
  #openedAtTick = 0;
  #idleSince = performance.now();
  readonly #openedAt = performance.now();
  /** The final GOAWAY went out (or is going out): new streams are ignored. */
  #goingAway = false;
  #draining = false;
  #peerGone = false;
  #closed = false;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #tickMs = TICK_MS;
  #ticks = 0;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #flow: SendFlow;
  #recvWindow = DEFAULT_WINDOW;
  /** Streams that received DATA in this read (their windows are topped up at its end). */
  readonly #fed: H2Stream<T>[] = [];
  /** A header block in CONTINUATION frames. */
  readonly #block: HeaderBlock;
  /** Resolves when the connection has ended. */
  readonly done: Promise<void>;

  constructor(
    conn: Deno.TcpConn,
    handler: StreamHandler<T>,
    options: { limits: ConnectionLimits; onBug(error: unknown): void },
  ) {
    const { limits } = options;
    this.#conn = conn;
    this.#handler = handler;
    this.#limits = limits;
    this.#onBug = options.onBug;
    this.#block = new HeaderBlock(HEADER_BLOCK_FACTOR * limits.maxHeaderListBytes);
    this.peer = conn.remoteAddr.transport === "tcp" ? conn.remoteAddr.hostname : undefined;
    this.#writer = new ConnectionWriter(conn, {
      onError: () => this.#destroy(),
      maxBacklog: limits.maxQueuedSendBytes,
    });
    this.#flow = new SendFlow(this.#writer);
    this.done = this.#run();
  }

  /** Graceful close (RFC 9113 §6.8): GOAWAY, finish open streams, then end. */
  drain() {
    if (this.#draining || this.#closed) return;
    this.#draining = true;
    // A first GOAWAY with the largest id: streams the client is opening right now still count.
    this.#writer.queue(wordsFrame(TYPE.GOAWAY, 0, 0, [MAX_WINDOW, ERROR.NO_ERROR]));
    this.#writer.flush();
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = undefined;
      this.#goingAway = true;
      this.#writer.queue(wordsFrame(TYPE.GOAWAY, 0, 0, [this.#lastStreamId, ERROR.NO_ERROR]));
      this.#closeWhenIdle();
    }, 200);
  }

  /** Ends the connection now: open streams are reset. */
  destroy() {
    this.#destroy();
  }

  async #run(): Promise<void> {
    const { handshakeTimeoutMs, idleTimeoutMs } = this.#limits;
    const { requestTimeoutMs } = this.#limits;
    this.#tickMs = Math.max(
      20,
      Math.min(TICK_MS, handshakeTimeoutMs / 2, idleTimeoutMs / 2, requestTimeoutMs / 2),
    );
    this.#ticker = setInterval(() => this.#tick(), this.#tickMs);
    try {
      this.#conn.setNoDelay(true);
    } catch { /* already closed */ }
    this.#writer.queue(settingsFrame([
      [SETTING.MAX_CONCURRENT_STREAMS, this.#limits.maxConcurrentStreams],
      [SETTING.MAX_HEADER_LIST_SIZE, this.#limits.maxHeaderListBytes],
    ]));
    this.#writer.queue(wordsFrame(TYPE.WINDOW_UPDATE, 0, 0, [CONNECTION_WINDOW - DEFAULT_WINDOW]));
    this.#recvWindow = CONNECTION_WINDOW;
    this.#writer.flush();
    let buffer = new Uint8Array(READ_BUFFER_BYTES);
    let start = 0;
    let end = 0;
    try {
      while (!this.#closed) {
        if (buffer.length - end < DEFAULT_MAX_FRAME_SIZE + FRAME_HEADER_BYTES) {
          buffer.copyWithin(0, start, end);
          end -= start;
          start = 0;
        }
        const n = await this.#conn.read(buffer.subarray(end));
        if (n === null) break;
        end += n;
        start = this.#frames(buffer, start, end);
        if (start === end) start = end = 0;
        this.#afterRead();
        if (this.#closed) break;
        await this.#writer.drained();
      }
    } catch (error) {
      // A reset or broken connection has nothing to answer; anything else is a bug of ours.
      if (
        !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
          error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted ||
          error instanceof Deno.errors.NotConnected ||
          error instanceof Deno.errors.ConnectionAborted)
      ) {
        this.#onBug(error);
      }
    }
    buffer = EMPTY;
    await this.#writer.idle();
    this.#destroy();
  }

  /** Handles the complete frames in `buffer[start, end)`; the offset of the first incomplete one. */
  #frames(buffer: Uint8Array, start: number, end: number): number {
    if (this.#prefaceAt < PREFACE.length) {
      while (start < end && this.#prefaceAt < PREFACE.length) {
        if (buffer[start++] !== PREFACE[this.#prefaceAt++]) {
          this.#fail(ERROR.PROTOCOL_ERROR, "invalid connection preface");
          return end;
        }
      }
    }
    while (!this.#closed && end - start >= FRAME_HEADER_BYTES) {
      const length = (buffer[start]! << 16) | (buffer[start + 1]! << 8) | buffer[start + 2]!;
      if (length > DEFAULT_MAX_FRAME_SIZE) {
        this.#fail(ERROR.FRAME_SIZE_ERROR, "frame larger than SETTINGS_MAX_FRAME_SIZE");
        return end;
      }
      if (end - start < FRAME_HEADER_BYTES + length) break;
      const type = buffer[start + 3]!;
      const flags = buffer[start + 4]!;
      const id = ((buffer[start + 5]! & 0x7f) << 24 | buffer[start + 6]! << 16 |
        buffer[start + 7]! << 8 | buffer[start + 8]!) >>> 0;
      const payload = buffer.subarray(
        start + FRAME_HEADER_BYTES,
        start + FRAME_HEADER_BYTES + length,
      );
      start += FRAME_HEADER_BYTES + length;
      this.#frame(type, flags, id, payload);
    }
    return this.#closed ? end : start;
  }

  #frame(type: number, flags: number, id: number, payload: Uint8Array) {
    if (!this.#settingsReceived && type !== TYPE.SETTINGS) {
      return this.#fail(ERROR.PROTOCOL_ERROR, "the first frame is not SETTINGS");
    }
    if (this.#block.stream !== 0 && (type !== TYPE.CONTINUATION || id !== this.#block.stream)) {
      return this.#fail(ERROR.PROTOCOL_ERROR, "expected CONTINUATION");
    }
    switch (type) {
      case TYPE.DATA:
        return this.#data(flags, id, payload);
      case TYPE.HEADERS:
        return this.#headers(flags, id, payload);
      case TYPE.CONTINUATION:
        return this.#continuation(flags, id, payload);
      case TYPE.SETTINGS:
        return this.#settings(flags, id, payload);
      case TYPE.PING:
        if (id !== 0) return this.#fail(ERROR.PROTOCOL_ERROR, "PING on a stream");
        if (payload.length !== 8) return this.#fail(ERROR.FRAME_SIZE_ERROR, "PING of bad size");
        if (!this.#unproductiveFrame()) return;
        if ((flags & FLAG.ACK) === 0) this.#writer.queue(frame(TYPE.PING, FLAG.ACK, 0, payload));
        return;
      case TYPE.WINDOW_UPDATE:
        return this.#windowUpdate(id, payload);
      case TYPE.RST_STREAM:
        return this.#rstStream(id, payload);
      case TYPE.PRIORITY:
        if (id === 0) return this.#fail(ERROR.PROTOCOL_ERROR, "PRIORITY on stream 0");
        if (!this.#unproductiveFrame()) return;
        if (payload.length !== 5) return this.#streamError(id, ERROR.FRAME_SIZE_ERROR);
        if ((readWord(payload, 0) & 0x7fffffff) === id) {
          return this.#streamError(id, ERROR.PROTOCOL_ERROR);
        }
        return;
      case TYPE.GOAWAY:
        if (id !== 0) return this.#fail(ERROR.PROTOCOL_ERROR, "GOAWAY on a stream");
        if (payload.length < 8) return this.#fail(ERROR.FRAME_SIZE_ERROR, "GOAWAY of bad size");
        if (!this.#unproductiveFrame()) return;
        this.#peerGone = true;
        return this.#closeWhenIdle();
      case TYPE.PUSH_PROMISE:
        return this.#fail(ERROR.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
      default:
        this.#unproductiveFrame(); // unknown types are ignored (RFC 9113 §4.1), not for free
    }
  }

  #settings(flags: number, id: number, payload: Uint8Array) {
    if (id !== 0) return this.#fail(ERROR.PROTOCOL_ERROR, "SETTINGS on a stream");
    if (flags & FLAG.ACK) {
      if (payload.length !== 0) return this.#fail(ERROR.FRAME_SIZE_ERROR, "SETTINGS ACK with data");
      if (!this.#settingsReceived) {
        return this.#fail(ERROR.PROTOCOL_ERROR, "the first frame is not SETTINGS");
      }
      if (this.#settingsAcked) return void this.#unproductiveFrame();
      this.#settingsAcked = true;
      return;
    }
    if (payload.length % 6 !== 0) return this.#fail(ERROR.FRAME_SIZE_ERROR, "SETTINGS of bad size");
    if (this.#settingsReceived && !this.#unproductiveFrame()) return;
    this.#settingsReceived = true;
    const parsed = parseSettings(payload);
    if (!parsed.ok) return this.#fail(parsed.code, parsed.reason);
    const { initialWindowSize, maxFrameSize } = parsed.value;
    if (maxFrameSize !== undefined) this.#flow.maxFrameSize = maxFrameSize;
    if (initialWindowSize !== undefined) {
      if (!this.#flow.setInitialWindow(initialWindowSize, this.#streams.values())) {
        return this.#fail(ERROR.FLOW_CONTROL_ERROR, "stream window overflow");
      }
      for (const stream of [...this.#streams.values()]) this.sendData(stream);
    }
    this.#writer.queue(frame(TYPE.SETTINGS, FLAG.ACK, 0));
  }

  #headers(flags: number, id: number, payload: Uint8Array) {
    if (id === 0 || id % 2 === 0) {
      return this.#fail(ERROR.PROTOCOL_ERROR, "HEADERS on a bad stream");
    }
    const fragment = headersFragment(flags, id, payload);
    if (!fragment.ok) return this.#fail(fragment.code, fragment.reason);
    const { from, to } = fragment;
    // A stream depending on itself is refused (§5.3.1); its block is still decoded for HPACK.
    if (fragment.selfDependent) this.#recentlyResetAdd(id);
    if ((flags & FLAG.END_HEADERS) === 0) {
      if (to === from && !this.#unproductiveFrame()) return;
      if (!this.#block.start(id, flags, payload.subarray(from, to))) this.#blockTooLarge();
      return;
    }
    this.#headerBlock(id, flags, payload, from, to);
  }

  #continuation(flags: number, id: number, payload: Uint8Array) {
    if (this.#block.stream === 0 || id !== this.#block.stream) {
      return this.#fail(ERROR.PROTOCOL_ERROR, "unexpected CONTINUATION");
    }
    if (payload.length === 0 && (flags & FLAG.END_HEADERS) === 0 && !this.#unproductiveFrame()) {
      return;
    }
    if (!this.#block.add(payload)) return this.#blockTooLarge();
    if ((flags & FLAG.END_HEADERS) === 0) return;
    const blockFlags = this.#block.flags;
    const block = this.#block.finish();
    this.#headerBlock(id, blockFlags, block, 0, block.length);
  }

  #blockTooLarge() {
    this.#fail(ERROR.ENHANCE_YOUR_CALM, "header block too large");
  }

  /** A complete header block: decoded (always, for the table), then a request or trailers. */
  #headerBlock(id: number, flags: number, block: Uint8Array, from: number, to: number) {
    const stream = this.#streams.get(id);
    const collector = new HeadCollector(this.#limits.maxHeaderListBytes, stream !== undefined);
    if (!this.#decoder.decode(block, from, to, (name, value) => collector.add(name, value))) {
      return this.#fail(ERROR.COMPRESSION_ERROR, "invalid header block");
    }
    const endStream = (flags & FLAG.END_STREAM) !== 0;
    if (stream !== undefined) {
      // Trailers: they end the request.
      if (stream.state !== "open") return this.#streamError(id, ERROR.STREAM_CLOSED);
      if (!endStream || collector.malformed) return this.#streamError(id, ERROR.PROTOCOL_ERROR);
      stream.state = "remote-closed";
      this.#handler.data(stream, EMPTY, true);
      return;
    }
    if (id <= this.#lastStreamId) {
      if (this.#recentlyReset.has(id)) return void this.#unproductiveFrame();
      return this.#fail(ERROR.STREAM_CLOSED, "HEADERS on a closed stream");
    }
    this.#lastStreamId = id;
    // Past the final GOAWAY new streams are ignored (§6.8), and so are their late frames.
    if (this.#goingAway) return this.#recentlyResetAdd(id);
    if (this.#recentlyReset.has(id)) return this.#streamError(id, ERROR.PROTOCOL_ERROR);
    if (this.#slots >= this.#limits.maxConcurrentStreams) {
      if (!this.#unproductiveFrame()) return;
      return this.#streamError(id, ERROR.REFUSED_STREAM);
    }
    const opened = new H2Stream<T>(id, this, {
      recv: DEFAULT_WINDOW,
      send: this.#flow.initialWindow,
      tick: this.#ticks,
    });
    if (collector.tooLarge) {
      this.#open(opened, endStream);
      opened.respond([[":status", "431"]], true);
      return;
    }
    const head = collector.head();
    if (head === undefined) return this.#streamError(id, ERROR.PROTOCOL_ERROR);
    this.#open(opened, endStream);
    this.#handler.open(opened, head, endStream);
  }

  #open(stream: H2Stream<T>, endStream: boolean) {
    this.#streams.set(stream.id, stream);
    this.#slots++;
    this.#opened++;
    if (endStream) stream.state = "remote-closed";
  }

  #data(flags: number, id: number, payload: Uint8Array) {
    if (id === 0) return this.#fail(ERROR.PROTOCOL_ERROR, "DATA on stream 0");
    if (id > this.#lastStreamId) return this.#fail(ERROR.PROTOCOL_ERROR, "DATA on an idle stream");
    // Flow control counts the whole payload, padding included, whatever becomes of the stream.
    this.#recvWindow -= payload.length;
    if (this.#recvWindow < 0) {
      return this.#fail(ERROR.FLOW_CONTROL_ERROR, "connection window exceeded");
    }
    const endStream = (flags & FLAG.END_STREAM) !== 0;
    if (payload.length === 0 && !endStream && !this.#unproductiveFrame()) return;
    let from = 0;
    let to = payload.length;
    if (flags & FLAG.PADDED) {
      if (payload.length < 1 || payload[0]! >= payload.length) {
        return this.#fail(ERROR.PROTOCOL_ERROR, "bad padding");
      }
      from = 1;
      to -= payload[0]!;
    }
    const stream = this.#streams.get(id);
    if (stream === undefined) {
      if (this.#recentlyReset.has(id)) return;
      return this.#fail(ERROR.STREAM_CLOSED, "DATA on a closed stream");
    }
    if (stream.state !== "open") return this.#streamError(id, ERROR.STREAM_CLOSED);
    stream.recvWindow -= payload.length;
    if (stream.recvWindow < 0) return this.#streamError(id, ERROR.FLOW_CONTROL_ERROR);
    if (endStream) stream.state = "remote-closed";
    else if (stream.recvWindow < DEFAULT_WINDOW / 2) this.#fed.push(stream);
    this.#handler.data(stream, payload.subarray(from, to), endStream);
  }

  #windowUpdate(id: number, payload: Uint8Array) {
    if (payload.length !== 4) {
      return this.#fail(ERROR.FRAME_SIZE_ERROR, "WINDOW_UPDATE of bad size");
    }
    if (!this.#unproductiveFrame()) return;
    const increment = readWord(payload, 0) & 0x7fffffff;
    if (id === 0) {
      if (increment === 0) return this.#fail(ERROR.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      const waiting = this.#flow.grow(increment);
      if (waiting === undefined) return this.#fail(ERROR.FLOW_CONTROL_ERROR, "window overflow");
      for (const stream of waiting) this.sendData(stream);
      return;
    }
    if (id > this.#lastStreamId) {
      return this.#fail(ERROR.PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream");
    }
    const stream = this.#streams.get(id);
    if (stream === undefined) return; // closed: allowed (RFC 9113 §5.1)
    if (increment === 0) return this.#streamError(id, ERROR.PROTOCOL_ERROR);
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) return this.#streamError(id, ERROR.FLOW_CONTROL_ERROR);
    this.sendData(stream);
  }

  #rstStream(id: number, payload: Uint8Array) {
    if (id === 0) return this.#fail(ERROR.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (payload.length !== 4) return this.#fail(ERROR.FRAME_SIZE_ERROR, "RST_STREAM of bad size");
    if (id > this.#lastStreamId) {
      return this.#fail(ERROR.PROTOCOL_ERROR, "RST_STREAM on an idle stream");
    }
    if (!this.#unproductiveFrame()) return;
    const stream = this.#streams.get(id);
    if (stream === undefined) return;
    this.#close(stream);
    this.#handler.reset(stream);
  }

  /** Counts a frame that makes no progress; false (and GOAWAY) once they are a flood. */
  #unproductiveFrame(): boolean {
    if (++this.#unproductive <= this.#limits.maxUnproductiveFrames) return true;
    this.#fail(ERROR.ENHANCE_YOUR_CALM, "too many control, empty or reset frames");
    return false;
  }

  // StreamOwner: what streams call.

  sendHeaders(stream: H2Stream<unknown>, block: Uint8Array, endStream: boolean) {
    if (this.#closed || !this.#streams.has(stream.id)) return;
    this.#flow.headers(stream, block, endStream);
    if (endStream) this.#ended(stream);
  }

  sendWhole(stream: H2Stream<unknown>, head: Uint8Array, data: Uint8Array, trailers: Uint8Array) {
    if (this.#closed || !this.#streams.has(stream.id)) return;
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
    if (this.#closed || !this.#streams.has(stream.id)) return;
    if (this.#flow.pump(stream)) this.#ended(stream);
    else if (stream.queuedBytes > 0) this.#checkQueued();
    this.#writer.flushSoon();
  }

  /** Answers waiting for the peer's windows stay under the cap. */
  #checkQueued() {
    let queued = 0;
    for (const stream of this.#streams.values()) queued += stream.queuedBytes;
    if (queued > this.#limits.maxQueuedSendBytes) {
      this.#fail(ERROR.ENHANCE_YOUR_CALM, "the peer does not take its answers");
    }
  }

  resetStream(stream: H2Stream<unknown>, code: number) {
    this.#streamError(stream.id, code);
  }

  releaseSlot(_stream: H2Stream<unknown>) {
    this.#slots--;
  }

  /** The server's END_STREAM went out: the request was answered. */
  #ended(stream: H2Stream<unknown>) {
    const own = this.#streams.get(stream.id);
    if (own === undefined) return;
    if (own.state === "open") {
      // Answered before the request ended (a refused message): stop the client sending.
      this.#writer.queue(wordsFrame(TYPE.RST_STREAM, 0, own.id, [ERROR.NO_ERROR]));
      this.#recentlyResetAdd(own.id);
    } else this.#unproductive = 0;
    this.#close(own);
    this.#writer.flushSoon();
  }

  #streamError(id: number, code: number) {
    this.#writer.queue(wordsFrame(TYPE.RST_STREAM, 0, id, [code]));
    this.#recentlyResetAdd(id);
    const stream = this.#streams.get(id);
    if (stream !== undefined) {
      this.#close(stream);
      this.#handler.reset(stream);
    }
    this.#writer.flushSoon();
  }

  #recentlyResetAdd(id: number) {
    this.#recentlyReset.add(id);
    if (this.#recentlyReset.size > RECENTLY_RESET) {
      const oldest = this.#recentlyReset.values().next().value;
      if (oldest !== undefined) this.#recentlyReset.delete(oldest);
    }
  }

  #close(stream: H2Stream<T>) {
    stream.state = "closed";
    stream.queued.length = 0;
    stream.queuedBytes = 0;
    this.#streams.delete(stream.id);
    this.#flow.forget(stream);
    if (!stream.holding) this.#slots--;
    if (this.#streams.size === 0 && (this.#goingAway || this.#peerGone)) this.#closeWhenIdle();
  }

  /** At the end of a read: windows topped up, then one write. */
  #afterRead() {
    if (this.#closed) return;
    if (this.#recvWindow < CONNECTION_WINDOW / 2) {
      this.#writer.queue(
        wordsFrame(TYPE.WINDOW_UPDATE, 0, 0, [CONNECTION_WINDOW - this.#recvWindow]),
      );
      this.#recvWindow = CONNECTION_WINDOW;
    }
    for (const stream of this.#fed) {
      if (stream.state !== "open" || stream.recvWindow >= DEFAULT_WINDOW / 2) continue;
      this.#writer.queue(
        wordsFrame(TYPE.WINDOW_UPDATE, 0, stream.id, [DEFAULT_WINDOW - stream.recvWindow]),
      );
      stream.recvWindow = DEFAULT_WINDOW;
    }
    this.#fed.length = 0;
    this.#writer.flush();
  }

  #tick() {
    this.#ticks++;
    const now = performance.now();
    if (
      !(this.#prefaceAt === PREFACE.length && this.#settingsReceived && this.#settingsAcked) &&
      now - this.#openedAt > this.#limits.handshakeTimeoutMs
    ) {
      return this.#fail(ERROR.SETTINGS_TIMEOUT, "handshake timed out");
    }
    if (this.#writer.stalledFor(now) > this.#limits.writeTimeoutMs) return this.#destroy();
    if (this.#streams.size > 0 || this.#opened !== this.#openedAtTick) {
      this.#openedAtTick = this.#opened;
      this.#idleSince = now;
    } else if (now - this.#idleSince > this.#limits.idleTimeoutMs) this.drain();
    // A request still arriving after `requestTimeoutMs` holds memory for nothing (slowloris).
    for (const stream of this.#streams.values()) {
      const age = (this.#ticks - stream.openedTick) * this.#tickMs;
      if (stream.state === "open" && age > this.#limits.requestTimeoutMs) {
        this.#streamError(stream.id, ERROR.CANCEL);
      }
    }
  }

  #closeWhenIdle() {
    if (this.#streams.size > 0 || this.#drainTimer !== undefined) return;
    this.#writer.flush();
    this.#writer.idle().then(() => this.#destroy());
  }

  /** A connection error: GOAWAY with `code`, then close once it is written. */
  #fail(code: number, reason: string) {
    if (this.#closed) return;
    this.#writer.queue(goaway(this.#lastStreamId, code, reason));
    this.#writer.flush();
    this.#closed = true;
    this.#resetAll();
    this.#writer.idle().then(() => this.#destroy());
  }

  #resetAll() {
    for (const stream of [...this.#streams.values()]) {
      this.#close(stream);
      this.#handler.reset(stream);
    }
  }

  #destroy() {
    this.#closed = true;
    clearInterval(this.#ticker);
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    this.#resetAll();
    this.#writer.close();
  }
}
