/**
 * The receiving side of HTTP/2 flow control (RFC 9113 §5.2, §6.9): request DATA counts against
 * the connection's window and its stream's, padding included and whatever becomes of the stream;
 * more than we granted is a FLOW_CONTROL_ERROR. The windows are topped up at the end of each read
 * once half is used, so they never hold a client back: the caps on buffered request bytes bound
 * memory, not the windows.
 */
import { DEFAULT_WINDOW, TYPE, wordsFrame } from "./frames.ts";
import type { H2Stream } from "./stream.ts";

/** Our connection window: raised once after SETTINGS, topped up at half. */
const CONNECTION_WINDOW = 16 * 1024 * 1024;

/** What the peer may still send on a connection, and the streams to top up. */
export class RecvFlow {
  #window = DEFAULT_WINDOW;
  /** Streams that received DATA in this read (their windows are topped up at its end). */
  readonly #fed: H2Stream<unknown>[] = [];

  /** The WINDOW_UPDATE raising the connection window from the default to ours. */
  open(): Uint8Array {
    this.#window = CONNECTION_WINDOW;
    return wordsFrame(TYPE.WINDOW_UPDATE, 0, 0, [CONNECTION_WINDOW - DEFAULT_WINDOW]);
  }

  /** A DATA payload of `length` bytes arrived; false when it exceeds the connection window. */
  take(length: number): boolean {
    this.#window -= length;
    return this.#window >= 0;
  }

  /** The same payload on `stream`; false when it exceeds the stream's window. */
  takeStream(stream: H2Stream<unknown>, length: number, endStream: boolean): boolean {
    stream.recvWindow -= length;
    if (stream.recvWindow < 0) return false;
    if (!endStream && stream.recvWindow < DEFAULT_WINDOW / 2) this.#fed.push(stream);
    return true;
  }

  /** At the end of a read: the WINDOW_UPDATE frames giving back what it used. */
  topUp(queue: (frame: Uint8Array) => void) {
    if (this.#window < CONNECTION_WINDOW / 2) {
      queue(wordsFrame(TYPE.WINDOW_UPDATE, 0, 0, [CONNECTION_WINDOW - this.#window]));
      this.#window = CONNECTION_WINDOW;
    }
    for (const stream of this.#fed) {
      if (stream.state !== "open" || stream.recvWindow >= DEFAULT_WINDOW / 2) continue;
      queue(wordsFrame(TYPE.WINDOW_UPDATE, 0, stream.id, [DEFAULT_WINDOW - stream.recvWindow]));
      stream.recvWindow = DEFAULT_WINDOW;
    }
    this.#fed.length = 0;
  }
}
