/**
 * One server-side HTTP/2 connection over cleartext TCP with prior knowledge (h2c, RFC 9113 §3.3),
 * as Envoy opens it to a gRPC cluster. A read loop (`FrameReader`) parses frames in place; this
 * module answers the connection's own (SETTINGS, PING, GOAWAY, WINDOW_UPDATE on stream 0), hands
 * the streams' to `StreamFrames` (requests in, to the application's `StreamHandler`) and keeps
 * the connection's life: handshake, idle and write timeouts, graceful drain, connection errors
 * (GOAWAY then close). Answers go out through `Responder`; everything the server sends during one
 * read goes out in one write (`ConnectionWriter`). Hostile input meets a limit
 * (`ConnectionLimits`), never an unbounded buffer or loop: frames that make no progress (PING,
 * SETTINGS, RST_STREAM, empty DATA or CONTINUATION, …: more than `maxUnproductiveFrames` between
 * two answered requests) are a flood, GOAWAY ENHANCE_YOUR_CALM.
 */
import {
  ERROR,
  FLAG,
  frame,
  goaway,
  MAX_WINDOW,
  readWord,
  SETTING,
  settingsFrame,
  TYPE,
  wordsFrame,
} from "./frames.ts";
import { FrameReader, isPeerError } from "./frame_reader.ts";
import type { ConnectionLimits } from "./limits.ts";
import { RecvFlow } from "./recv_flow.ts";
import { Responder } from "./responder.ts";
import { parseSettings } from "./settings.ts";
import type { StreamHandler } from "./stream.ts";
import { StreamFrames } from "./stream_frames.ts";
import { StreamTable } from "./stream_table.ts";
import { ConnectionWriter } from "./writer.ts";

const TICK_MS = 1_000;

/** One accepted connection, served from construction until `done` resolves. */
export class Connection<T> {
  readonly #conn: Deno.TcpConn;
  readonly #limits: ConnectionLimits;
  readonly #onBug: (error: unknown) => void;
  readonly #writer: ConnectionWriter;
  readonly #reader = new FrameReader();
  readonly #recv = new RecvFlow();
  readonly #table = new StreamTable<T>();
  readonly #responder: Responder<T>;
  readonly #streams: StreamFrames<T>;
  #settingsReceived = false;
  #settingsAcked = false;
  #unproductive = 0;
  /** Streams opened as the last tick saw them: no change with no streams is idle. */
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
  /** Resolves when the connection has ended. */
  readonly done: Promise<void>;

  constructor(
    conn: Deno.TcpConn,
    handler: StreamHandler<T>,
    options: { limits: ConnectionLimits; onBug(error: unknown): void },
  ) {
    const { limits } = options;
    this.#conn = conn;
    this.#limits = limits;
    this.#onBug = options.onBug;
    this.#writer = new ConnectionWriter(conn, {
      onError: () => this.#destroy(),
      maxBacklog: limits.maxQueuedSendBytes,
    });
    const fail = (code: number, reason: string) => this.#fail(code, reason);
    this.#responder = new Responder(this.#table, this.#writer, {
      handler,
      peer: conn.remoteAddr.transport === "tcp" ? conn.remoteAddr.hostname : undefined,
      maxQueuedSendBytes: limits.maxQueuedSendBytes,
      control: {
        closed: () => this.#closed,
        fail,
        answered: () => this.#unproductive = 0,
        emptied: () => {
          if (this.#goingAway || this.#peerGone) this.#closeWhenIdle();
        },
      },
    });
    this.#streams = new StreamFrames(this.#table, this.#responder, {
      recv: this.#recv,
      handler,
      limits,
      control: {
        fail,
        unproductiveFrame: () => this.#unproductiveFrame(),
        goingAway: () => this.#goingAway,
        ticks: () => this.#ticks,
      },
    });
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
      this.#writer.queue(wordsFrame(TYPE.GOAWAY, 0, 0, [this.#table.lastId, ERROR.NO_ERROR]));
      this.#closeWhenIdle();
    }, 200);
  }

  /** Ends the connection now: open streams are reset. */
  destroy() {
    this.#destroy();
  }

  async #run(): Promise<void> {
    const { handshakeTimeoutMs, idleTimeoutMs, requestTimeoutMs } = this.#limits;
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
    this.#writer.queue(this.#recv.open());
    this.#writer.flush();
    const visit = (type: number, flags: number, id: number, payload: Uint8Array) => {
      this.#frame(type, flags, id, payload);
      return !this.#closed;
    };
    try {
      while (!this.#closed) {
        if (!await this.#reader.fill(this.#conn)) break;
        const error = this.#reader.frames(visit);
        if (error !== undefined) this.#fail(error.code, error.reason);
        this.#afterRead();
        if (this.#closed) break;
        await this.#writer.drained();
      }
    } catch (error) {
      if (!isPeerError(error)) this.#onBug(error);
    }
    this.#reader.release();
    await this.#writer.idle();
    this.#destroy();
  }

  #frame(type: number, flags: number, id: number, payload: Uint8Array) {
    if (!this.#settingsReceived && type !== TYPE.SETTINGS) {
      return this.#fail(ERROR.PROTOCOL_ERROR, "the first frame is not SETTINGS");
    }
    const continuing = this.#streams.continuing;
    if (continuing !== 0 && (type !== TYPE.CONTINUATION || id !== continuing)) {
      return this.#fail(ERROR.PROTOCOL_ERROR, "expected CONTINUATION");
    }
    switch (type) {
      case TYPE.DATA:
        return this.#streams.data(flags, id, payload);
      case TYPE.HEADERS:
        return this.#streams.headers(flags, id, payload);
      case TYPE.CONTINUATION:
        return this.#streams.continuation(flags, id, payload);
      case TYPE.RST_STREAM:
        return this.#streams.rstStream(id, payload);
      case TYPE.PRIORITY:
        return this.#streams.priority(id, payload);
      case TYPE.SETTINGS:
        return this.#settings(flags, id, payload);
      case TYPE.WINDOW_UPDATE:
        return this.#windowUpdate(id, payload);
      case TYPE.PING:
        if (id !== 0) return this.#fail(ERROR.PROTOCOL_ERROR, "PING on a stream");
        if (payload.length !== 8) return this.#fail(ERROR.FRAME_SIZE_ERROR, "PING of bad size");
        if (!this.#unproductiveFrame()) return;
        if ((flags & FLAG.ACK) === 0) this.#writer.queue(frame(TYPE.PING, FLAG.ACK, 0, payload));
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
    if (!this.#responder.peerSettings(parsed.value)) {
      return this.#fail(ERROR.FLOW_CONTROL_ERROR, "stream window overflow");
    }
    this.#writer.queue(frame(TYPE.SETTINGS, FLAG.ACK, 0));
  }

  #windowUpdate(id: number, payload: Uint8Array) {
    if (payload.length !== 4) {
      return this.#fail(ERROR.FRAME_SIZE_ERROR, "WINDOW_UPDATE of bad size");
    }
    if (!this.#unproductiveFrame()) return;
    const increment = readWord(payload, 0) & 0x7fffffff;
    if (id !== 0) return this.#streams.windowUpdate(id, increment);
    if (increment === 0) return this.#fail(ERROR.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
    if (!this.#responder.grow(increment)) this.#fail(ERROR.FLOW_CONTROL_ERROR, "window overflow");
  }

  /** Counts a frame that makes no progress; false (and GOAWAY) once they are a flood. */
  #unproductiveFrame(): boolean {
    if (++this.#unproductive <= this.#limits.maxUnproductiveFrames) return true;
    this.#fail(ERROR.ENHANCE_YOUR_CALM, "too many control, empty or reset frames");
    return false;
  }

  /** At the end of a read: windows topped up, then one write. */
  #afterRead() {
    if (this.#closed) return;
    this.#recv.topUp((update) => this.#writer.queue(update));
    this.#writer.flush();
  }

  #tick() {
    this.#ticks++;
    const now = performance.now();
    if (
      !(this.#reader.prefaceDone && this.#settingsReceived && this.#settingsAcked) &&
      now - this.#openedAt > this.#limits.handshakeTimeoutMs
    ) {
      return this.#fail(ERROR.SETTINGS_TIMEOUT, "handshake timed out");
    }
    if (this.#writer.stalledFor(now) > this.#limits.writeTimeoutMs) return this.#destroy();
    this.#responder.expireStalled(now, this.#limits.writeTimeoutMs);
    if (this.#table.size > 0 || this.#table.opened !== this.#openedAtTick) {
      this.#openedAtTick = this.#table.opened;
      this.#idleSince = now;
    } else if (now - this.#idleSince > this.#limits.idleTimeoutMs) this.drain();
    this.#streams.expire(this.#ticks, this.#tickMs);
  }

  #closeWhenIdle() {
    if (this.#table.size > 0 || this.#drainTimer !== undefined) return;
    this.#writer.flush();
    this.#writer.idle().then(() => this.#destroy());
  }

  /** A connection error: GOAWAY with `code`, then close once it is written. */
  #fail(code: number, reason: string) {
    if (this.#closed) return;
    this.#writer.queue(goaway(this.#table.lastId, code, reason));
    this.#writer.flush();
    this.#closed = true;
    this.#responder.closeAll();
    this.#writer.idle().then(() => this.#destroy());
  }

  #destroy() {
    this.#closed = true;
    clearInterval(this.#ticker);
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    this.#responder.closeAll();
    this.#writer.close();
  }
}
