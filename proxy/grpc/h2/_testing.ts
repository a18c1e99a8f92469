/**
 * A raw HTTP/2 client for the h2 tests: it writes whatever frames a test builds (hostile ones
 * included) over a real TCP connection and reads the server's frames back, decoding header blocks
 * with the server's own HPACK decoder (answers only use the static table and literals); and a
 * call from an independent client (node:http2) that must work whatever the raw client did.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import http2 from "node:http2";
import { ERROR, FLAG, frame, PREFACE, settingsFrame, TYPE, wordsFrame } from "./frames.ts";
import { encodeHeaders } from "./hpack_encoder.ts";
import { HpackDecoder } from "./hpack_decoder.ts";

/** A frame as the server sent it. */
export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Uint8Array;
}

export { ERROR, FLAG, frame, PREFACE, settingsFrame, TYPE, wordsFrame };

/** One raw connection to the server under test. */
export class RawClient {
  readonly conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);
  #closed = false;
  readonly #decoder = new HpackDecoder();

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects; with `handshake` (default) sends the preface and an empty SETTINGS. */
  static async connect(port: number, handshake = true): Promise<RawClient> {
    const client = new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
    if (handshake) await client.send(PREFACE, settingsFrame([]));
    return client;
  }

  /** Writes the frames; false when the server had closed the connection. */
  async send(...parts: Uint8Array[]): Promise<boolean> {
    const length = parts.reduce((n, p) => n + p.length, 0);
    const all = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      all.set(part, at);
      at += part.length;
    }
    try {
      for (let i = 0; i < all.length;) i += await this.conn.write(all.subarray(i));
      return true;
    } catch {
      return false;
    }
  }

  /** The next frame, or undefined when the connection ended or `timeoutMs` passed. */
  async next(timeoutMs = 5_000): Promise<Frame | undefined> {
    const deadline = performance.now() + timeoutMs;
    while (true) {
      if (this.#buffer.length >= 9) {
        const length = (this.#buffer[0]! << 16) | (this.#buffer[1]! << 8) | this.#buffer[2]!;
        if (this.#buffer.length >= 9 + length) {
          const view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset);
          const out = {
            type: this.#buffer[3]!,
            flags: this.#buffer[4]!,
            stream: view.getUint32(5) & 0x7fffffff,
            payload: this.#buffer.slice(9, 9 + length),
          };
          this.#buffer = this.#buffer.slice(9 + length);
          return out;
        }
      }
      if (this.#closed) return undefined;
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      const chunk = new Uint8Array(65536);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.conn.read(chunk).catch(() => null),
        new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), left)),
      ]);
      clearTimeout(timer);
      if (n === "timeout") return undefined;
      if (n === null) {
        this.#closed = true;
        continue;
      }
      const joined = new Uint8Array(this.#buffer.length + n);
      joined.set(this.#buffer);
      joined.set(chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = joined;
    }
  }

  /** Frames until one matches (returned last) or the connection ends. */
  async until(match: (f: Frame) => boolean, timeoutMs = 5_000): Promise<Frame[]> {
    const frames: Frame[] = [];
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - performance.now()));
      if (f === undefined) return frames;
      frames.push(f);
      if (match(f)) return frames;
    }
  }

  /** The GOAWAY the server sends (its error code and debug text), then whether it closed. */
  async goaway(
    timeoutMs = 5_000,
  ): Promise<{ code: number; debug: string; closed: boolean } | undefined> {
    const frames = await this.until((f) => f.type === TYPE.GOAWAY, timeoutMs);
    const last = frames.at(-1);
    if (last === undefined || last.type !== TYPE.GOAWAY) return undefined;
    const code = new DataView(last.payload.buffer).getUint32(4);
    const debug = new TextDecoder().decode(last.payload.subarray(8));
    await this.until(() => false, 2_000); // returns as soon as the server closes
    return { code, debug, closed: this.#closed };
  }

  /** A header block's fields (decoded with this connection's table). */
  fields(block: Uint8Array): Map<string, string> {
    const out = new Map<string, string>();
    if (!this.#decoder.decode(block, 0, block.length, (n, v) => out.set(n, v))) {
      throw new SyntaxError("The server sent an invalid header block");
    }
    return out;
  }

  /** Whether the server closed the connection (seen by a read). */
  get closed(): boolean {
    return this.#closed;
  }

  close() {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }

  [Symbol.dispose]() {
    this.close();
  }
}

/** A gRPC request's header block for `path` (plus `extra` fields). */
export function requestBlock(path: string, extra: [string, string][] = []): Uint8Array {
  return encodeHeaders([
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "localhost"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
    ...extra,
  ]);
}

/** HEADERS (END_HEADERS, and END_STREAM with `end`) opening `stream`. */
export function headers(stream: number, block: Uint8Array, end = false): Uint8Array {
  return frame(TYPE.HEADERS, FLAG.END_HEADERS | (end ? FLAG.END_STREAM : 0), stream, block);
}

/** DATA carrying one length-prefixed gRPC message. */
export function message(stream: number, payload: Uint8Array, end = true): Uint8Array {
  const body = new Uint8Array(5 + payload.length);
  new DataView(body.buffer).setUint32(1, payload.length);
  body.set(payload, 5);
  return frame(TYPE.DATA, end ? FLAG.END_STREAM : 0, stream, body);
}

/** RST_STREAM on `stream`. */
export function rst(stream: number, code: number = ERROR.CANCEL): Uint8Array {
  return wordsFrame(TYPE.RST_STREAM, 0, stream, [code]);
}

/** A call from node:http2 on a new connection answers `echo:ok` (`/test.Echo/Echo` echoes). */
export async function assertServes(port: number) {
  const client = http2.connect(`http://127.0.0.1:${port}`);
  client.on("error", () => {});
  try {
    const stream = client.request({
      ":method": "POST",
      ":path": "/test.Echo/Echo",
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Uint8Array[] = [];
    let status: unknown;
    stream.on("trailers", (t) => status = t["grpc-status"]);
    stream.on("data", (c: Uint8Array) => chunks.push(c));
    stream.on("error", () => {});
    const body = Buffer.alloc(7);
    body.writeUInt32BE(2, 1);
    body.write("ok", 5);
    stream.end(body);
    await new Promise((resolve) => stream.on("close", resolve));
    assert.equal(status, "0");
    assert.equal(new TextDecoder().decode(Buffer.concat(chunks).subarray(5)), "echo:ok");
  } finally {
    client.close();
  }
}
