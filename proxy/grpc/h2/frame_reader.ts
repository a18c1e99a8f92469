/**
 * The read side of a connection: the socket is read into one buffer, the client's connection
 * preface (RFC 9113 §3.4) is checked byte by byte, then frames are parsed in place (§4.1) and
 * handed on while the buffer is valid. A frame longer than SETTINGS_MAX_FRAME_SIZE (never raised
 * by us) is refused as soon as its 9-byte header has arrived, before its payload is buffered.
 */
import { DEFAULT_MAX_FRAME_SIZE, ERROR, FRAME_HEADER_BYTES, PREFACE } from "./frames.ts";

const READ_BUFFER_BYTES = 32 * 1024;
const EMPTY = new Uint8Array(0);
/** Errors of a connection the peer reset or broke. */
const PEER_ERRORS = [
  Deno.errors.ConnectionReset,
  Deno.errors.BrokenPipe,
  Deno.errors.BadResource,
  Deno.errors.Interrupted,
  Deno.errors.NotConnected,
  Deno.errors.ConnectionAborted,
];

/** Whether a read failed because of the peer (nothing to answer), not a bug of ours. */
export function isPeerError(error: unknown): boolean {
  return PEER_ERRORS.some((type) => error instanceof type);
}

/** Takes one frame; `payload` is only valid during the call. False: stop (the connection ended). */
export type FrameVisitor = (
  type: number,
  flags: number,
  id: number,
  payload: Uint8Array,
) => boolean;

/** A connection error found while reading. */
export interface ReadError {
  code: number;
  reason: string;
}

/** One connection's read buffer and the preface's progress. */
export class FrameReader {
  #buffer = new Uint8Array(READ_BUFFER_BYTES);
  #start = 0;
  #end = 0;
  #prefaceAt = 0;

  /** Whether the whole preface has arrived. */
  get prefaceDone(): boolean {
    return this.#prefaceAt === PREFACE.length;
  }

  /** Reads what the socket has; false when the peer closed its side. */
  async fill(conn: Deno.Conn): Promise<boolean> {
    if (this.#buffer.length - this.#end < DEFAULT_MAX_FRAME_SIZE + FRAME_HEADER_BYTES) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    const n = await conn.read(this.#buffer.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    return true;
  }

  /** Hands every complete frame to `visit`; the connection error the bytes are, if any. */
  frames(visit: FrameVisitor): ReadError | undefined {
    const buffer = this.#buffer;
    let start = this.#start;
    const end = this.#end;
    while (start < end && this.#prefaceAt < PREFACE.length) {
      if (buffer[start++] !== PREFACE[this.#prefaceAt++]) {
        this.#start = this.#end = 0;
        return { code: ERROR.PROTOCOL_ERROR, reason: "invalid connection preface" };
      }
    }
    while (end - start >= FRAME_HEADER_BYTES) {
      const length = (buffer[start]! << 16) | (buffer[start + 1]! << 8) | buffer[start + 2]!;
      if (length > DEFAULT_MAX_FRAME_SIZE) {
        this.#start = this.#end = 0;
        return {
          code: ERROR.FRAME_SIZE_ERROR,
          reason: "frame larger than SETTINGS_MAX_FRAME_SIZE",
        };
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
      if (!visit(type, flags, id, payload)) {
        start = end;
        break;
      }
    }
    if (start === end) this.#start = this.#end = 0;
    else this.#start = start;
    return undefined;
  }

  /** The connection ended: the buffer is let go. */
  release() {
    this.#buffer = EMPTY;
    this.#start = this.#end = 0;
  }
}
