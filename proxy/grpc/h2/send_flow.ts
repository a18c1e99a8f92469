/**
 * The server's side of HTTP/2 flow control (RFC 9113 §5.2, §6.9): the connection's send window
 * and the peer's initial stream window and frame size, and the DATA each stream may send now.
 * A stream's queued DATA goes out in frames no larger than the peer allows and only as far as
 * both windows reach; a stream stopped by the connection window waits in `blocked` until a
 * connection WINDOW_UPDATE. Trailers follow the last DATA.
 */
import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  FLAG,
  frame,
  FRAME_HEADER_BYTES,
  frameInto,
  MAX_WINDOW,
  TYPE,
} from "./frames.ts";
import type { H2Stream } from "./stream.ts";
import type { ConnectionWriter } from "./writer.ts";

/** A connection's send windows and the streams waiting for them. */
export class SendFlow {
  /** The connection's send window. */
  window = DEFAULT_WINDOW;
  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE: each new stream's send window. */
  initialWindow = DEFAULT_WINDOW;
  /** The peer's SETTINGS_MAX_FRAME_SIZE. */
  maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  readonly #blocked = new Set<H2Stream<unknown>>();
  readonly #writer: ConnectionWriter;

  constructor(writer: ConnectionWriter) {
    this.#writer = writer;
  }

  /** Queues a HEADERS frame (a block always fits one frame: ours are small). */
  headers(stream: H2Stream<unknown>, block: Uint8Array, endStream: boolean) {
    if (block.length > this.maxFrameSize) throw new RangeError("Response header block too large");
    const flags = FLAG.END_HEADERS | (endStream ? FLAG.END_STREAM : 0);
    this.#writer.queue(frame(TYPE.HEADERS, flags, stream.id, block));
  }

  /**
   * A whole answer (headers, one DATA payload, trailers) in one buffer when the windows and the
   * frame size take the payload at once; false (nothing sent) otherwise.
   */
  whole(stream: H2Stream<unknown>, head: Uint8Array, data: Uint8Array, trailers: Uint8Array) {
    const size = data.length;
    if (size > stream.sendWindow || size > this.window || size > this.maxFrameSize) return false;
    if (head.length > this.maxFrameSize || trailers.length > this.maxFrameSize) return false;
    const out = new Uint8Array(3 * FRAME_HEADER_BYTES + head.length + size + trailers.length);
    let at = frameInto(out, 0, TYPE.HEADERS, FLAG.END_HEADERS, stream.id, head);
    at = frameInto(out, at, TYPE.DATA, 0, stream.id, data);
    frameInto(out, at, TYPE.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, stream.id, trailers);
    stream.sendWindow -= size;
    this.window -= size;
    this.#writer.queue(out);
    return true;
  }

  /** Sends what the windows allow of the stream's DATA, then its trailers; true once they went. */
  pump(stream: H2Stream<unknown>): boolean {
    while (stream.queued.length > 0) {
      const chunk = stream.queued[0]!;
      const room = Math.min(stream.sendWindow, this.window, this.maxFrameSize);
      if (room <= 0) {
        if (this.window <= 0) this.#blocked.add(stream);
        return false;
      }
      const size = Math.min(room, chunk.length);
      this.#writer.queue(frame(TYPE.DATA, 0, stream.id, chunk.subarray(0, size)));
      stream.sendWindow -= size;
      this.window -= size;
      stream.queuedBytes -= size;
      if (size === chunk.length) stream.queued.shift();
      else stream.queued[0] = chunk.subarray(size);
    }
    if (stream.trailers === undefined) return false;
    this.headers(stream, stream.trailers, true);
    return true;
  }

  /**
   * A connection WINDOW_UPDATE: the streams that waited for it (to pump again), or undefined
   * when the window overflows (FLOW_CONTROL_ERROR).
   */
  grow(increment: number): H2Stream<unknown>[] | undefined {
    this.window += increment;
    if (this.window > MAX_WINDOW) return undefined;
    const waiting = [...this.#blocked];
    this.#blocked.clear();
    return waiting;
  }

  /**
   * A new SETTINGS_INITIAL_WINDOW_SIZE moves every open stream's window by the difference
   * (§6.9.2); false when one overflows (FLOW_CONTROL_ERROR).
   */
  setInitialWindow(value: number, streams: Iterable<H2Stream<unknown>>): boolean {
    const delta = value - this.initialWindow;
    this.initialWindow = value;
    for (const stream of streams) {
      stream.sendWindow += delta;
      if (stream.sendWindow > MAX_WINDOW) return false;
    }
    return true;
  }

  /** The stream closed: it no longer waits. */
  forget(stream: H2Stream<unknown>) {
    this.#blocked.delete(stream);
  }
}
