/**
 * One HTTP/2 stream as the server sees it (RFC 9113 §5.1): open, half-closed (remote) once the
 * client's END_STREAM arrived, closed once the server's END_STREAM went out or either side reset
 * it. The application answers through it: `respond` (HEADERS), `write` (DATA, queued until the
 * peer's stream and connection windows allow it) and `end` (trailers after the queued data); a
 * closed stream drops whatever is sent on it.
 */
import { encodeHeaders } from "./hpack_encoder.ts";
import type { RequestHead } from "./request_head.ts";

type Fields = readonly (readonly [string, string])[];

function blockOf(fields: Fields | Uint8Array): Uint8Array {
  return fields instanceof Uint8Array ? fields : encodeHeaders(fields);
}

export type StreamState = "open" | "remote-closed" | "closed";

/** The application on top of a connection; `T` is what it keeps per stream (`H2Stream.app`). */
export interface StreamHandler<T> {
  /** A request's header section arrived (`endStream`: and no body follows). */
  open(stream: H2Stream<T>, head: RequestHead, endStream: boolean): void;
  /** Request DATA; `chunk` is only valid during the call (copy what you keep). */
  data(stream: H2Stream<T>, chunk: Uint8Array, endStream: boolean): void;
  /** The client reset the stream or the connection ended: nothing more can be sent on it. */
  reset(stream: H2Stream<T>): void;
}

/** What a stream needs of its connection (implemented by `Responder`). */
export interface StreamOwner {
  sendHeaders(stream: H2Stream<unknown>, block: Uint8Array, endStream: boolean): void;
  sendData(stream: H2Stream<unknown>): void;
  sendWhole(
    stream: H2Stream<unknown>,
    head: Uint8Array,
    data: Uint8Array,
    trailers: Uint8Array,
  ): void;
  resetStream(stream: H2Stream<unknown>, code: number): void;
  releaseSlot(stream: H2Stream<unknown>): void;
  readonly peer: string | undefined;
}

/** A request stream and the answer the application sends on it. */
export class H2Stream<T> {
  readonly id: number;
  state: StreamState;
  /** What the application keeps for this stream. */
  app: T | undefined;
  /** Bytes the client may still send before a WINDOW_UPDATE. */
  recvWindow: number;
  /** Bytes the server may still send (the peer's window; can go negative on a SETTINGS change). */
  sendWindow: number;
  /** DATA waiting for window, then the trailers' block. */
  readonly queued: Uint8Array[] = [];
  queuedBytes = 0;
  /** When the queued DATA began to wait for the peer's windows (0: it does not wait). */
  blockedAt = 0;
  trailers: Uint8Array | undefined;
  headersSent = false;
  /** The connection's tick count when the stream opened (for its request timeout). */
  readonly openedTick: number;
  /** Whether the application's work for the stream still occupies a concurrency slot. */
  holding = false;
  readonly #owner: StreamOwner;

  constructor(
    id: number,
    owner: StreamOwner,
    windows: { recv: number; send: number; tick: number },
  ) {
    this.id = id;
    this.#owner = owner;
    this.state = "open";
    this.openedTick = windows.tick;
    this.recvWindow = windows.recv;
    this.sendWindow = windows.send;
  }

  get closed(): boolean {
    return this.state === "closed";
  }

  /** The connection's remote address. */
  get peer(): string | undefined {
    return this.#owner.peer;
  }

  /**
   * Sends the response headers (fields, or a block `encodeHeaders` made once); `endStream` for a
   * headers-only (trailers-only) answer.
   */
  respond(fields: Fields | Uint8Array, endStream = false) {
    if (this.closed || this.headersSent) return;
    this.headersSent = true;
    this.#owner.sendHeaders(this, blockOf(fields), endStream);
  }

  /** Queues DATA; sent as the peer's flow-control windows allow. */
  write(bytes: Uint8Array) {
    if (this.closed || bytes.byteLength === 0) return;
    this.queued.push(bytes);
    this.queuedBytes += bytes.byteLength;
    this.#owner.sendData(this);
  }

  /** Ends the answer with trailers, after the queued DATA. */
  end(fields: Fields | Uint8Array) {
    if (this.closed || this.trailers !== undefined) return;
    this.trailers = blockOf(fields);
    this.#owner.sendData(this);
  }

  /** A whole answer at once: `respond(head)`, `write(data)`, `end(trailers)` in one go. */
  answer(head: Uint8Array, data: Uint8Array, trailers: Uint8Array) {
    if (this.closed || this.headersSent) return;
    this.headersSent = true;
    this.#owner.sendWhole(this, head, data, trailers);
  }

  /** Resets the stream (RST_STREAM with `code`). */
  reset(code: number) {
    if (!this.closed) this.#owner.resetStream(this, code);
  }

  /**
   * Keeps the stream's concurrency slot while the application works on it, even after the client
   * resets it (reset streams whose work goes on are what a rapid-reset attack piles up).
   */
  hold() {
    this.holding = true;
  }

  /** Gives the slot back (`hold()`'s work ended). */
  release() {
    if (!this.holding) return;
    this.holding = false;
    if (this.closed) this.#owner.releaseSlot(this);
  }
}
