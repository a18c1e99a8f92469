/**
 * Response bodies of apigw's HTTP/1.1 client as streams (RFC 9112 §6.3, §7.1): by
 * `Content-Length`, chunked, or until close. A body read whole and exactly hands its connection
 * back to the pool; anything else (a short body, a broken chunk, a cancel) closes it.
 */
import type { Socket } from "./http1_socket.ts";

export interface Lifecycle {
  /** The response was read whole and exactly: the connection may serve the next request. */
  release(): void;
  /** The connection is unusable or its state unknown: close it. */
  discard(): void;
}

export type Bytes = Uint8Array<ArrayBuffer>;

const READ_SIZE = 64 * 1024;
/** A chunk-size line or one trailer line at most this long. */
const MAX_LINE_BYTES = 4 * 1024;
/** All trailer lines together. */
const MAX_TRAILER_BYTES = 16 * 1024;
const CHUNK_SIZE = /^[0-9A-Fa-f]{1,13}[ \t]*(?:;.*)?$/;

const decoder = new TextDecoder("latin1");

/** Exactly `wanted` bytes, `first` of them already read. */
export function lengthBody(
  socket: Socket,
  first: Bytes,
  wanted: number,
  reusable: boolean,
  life: Lifecycle,
): ReadableStream<Uint8Array> {
  let left = wanted - first.length;
  let pendingFirst = first.length > 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pendingFirst) {
        pendingFirst = false;
        controller.enqueue(first);
      } else {
        const chunk = new Uint8Array(Math.min(READ_SIZE, left));
        const n = await socket.read(chunk).catch(() => null);
        if (n === null) {
          life.discard();
          controller.error(new TypeError("Upstream closed the connection mid-body"));
          return;
        }
        left -= n;
        controller.enqueue(chunk.subarray(0, n));
      }
      if (left === 0) {
        if (reusable) life.release();
        else life.discard();
        controller.close();
      }
    },
    cancel() {
      life.discard();
    },
  });
}

/** Everything until the upstream closes; the connection is never reused. */
export function untilClose(
  socket: Socket,
  first: Bytes,
  life: Lifecycle,
): ReadableStream<Uint8Array> {
  let pendingFirst = first.length > 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pendingFirst) {
        pendingFirst = false;
        controller.enqueue(first);
        return;
      }
      const chunk = new Uint8Array(READ_SIZE);
      const n = await socket.read(chunk).catch(() => null);
      if (n === null) {
        life.discard();
        controller.close();
        return;
      }
      controller.enqueue(chunk.subarray(0, n));
    },
    cancel() {
      life.discard();
    },
  });
}

/**
 * Decodes `Transfer-Encoding: chunked`: hex sizes only (no sign, no `0x`), each chunk's data
 * followed by exactly CRLF, chunk extensions ignored, trailers read and dropped, every line and
 * the trailer section capped. Chunk data streams through; a large chunk is never buffered whole.
 */
export function chunkedBody(
  socket: Socket,
  first: Bytes,
  reusable: boolean,
  life: Lifecycle,
): ReadableStream<Uint8Array> {
  let buffer: Bytes = first;
  /** Data bytes left in the current chunk. */
  let remaining = 0;
  async function fill(): Promise<void> {
    const chunk = new Uint8Array(READ_SIZE);
    const n = await socket.read(chunk).catch(() => null);
    if (n === null) throw new TypeError("Upstream closed the connection mid-body");
    buffer = buffer.length === 0 ? chunk.subarray(0, n) : concat(buffer, chunk.subarray(0, n));
  }
  async function line(): Promise<string> {
    while (true) {
      const at = indexOfCrlf(buffer);
      if (at !== -1) {
        if (at > MAX_LINE_BYTES) break;
        const text = decoder.decode(buffer.subarray(0, at));
        buffer = buffer.subarray(at + 2);
        return text;
      }
      if (buffer.length > MAX_LINE_BYTES) break;
      await fill();
    }
    throw new RangeError("Upstream sent a chunk line that is too long");
  }
  /** One piece of the chunked body; true once something was enqueued or the stream closed. */
  async function step(controller: ReadableStreamDefaultController<Uint8Array>): Promise<boolean> {
    if (remaining > 0) {
      if (buffer.length === 0) await fill();
      const take = Math.min(remaining, buffer.length);
      controller.enqueue(buffer.slice(0, take));
      buffer = buffer.subarray(take);
      remaining -= take;
      if (remaining > 0) return true;
      while (buffer.length < 2) await fill();
      if (buffer[0] !== 13 || buffer[1] !== 10) {
        throw new TypeError("Upstream sent chunk data not followed by CRLF");
      }
      buffer = buffer.subarray(2);
      return true;
    }
    const sizeLine = await line();
    if (!CHUNK_SIZE.test(sizeLine)) throw new TypeError("Upstream sent an invalid chunk size");
    const size = parseInt(sizeLine, 16);
    if (size > 0) {
      remaining = size;
      return false;
    }
    let trailerBytes = 0;
    for (let trailer = await line(); trailer !== ""; trailer = await line()) {
      trailerBytes += trailer.length + 2;
      if (trailerBytes > MAX_TRAILER_BYTES || /^[ \t]/.test(trailer) || !trailer.includes(":")) {
        throw new TypeError("Upstream sent an invalid trailer section");
      }
    }
    if (reusable && buffer.length === 0) life.release();
    else life.discard();
    controller.close();
    return true;
  }
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        while (!await step(controller)) { /* a size line: read on to its data */ }
      } catch (error) {
        life.discard();
        controller.error(error);
      }
    },
    cancel() {
      life.discard();
    },
  });
}

function indexOfCrlf(buffer: Uint8Array): number {
  for (let i = 1; i < buffer.length; i++) {
    if (buffer[i] === 10 && buffer[i - 1] === 13) return i - 1;
  }
  return -1;
}

export function concat(a: Uint8Array, b: Uint8Array): Bytes {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
