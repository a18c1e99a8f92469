/**
 * The request side of apigw's HTTP/1.1 client (RFC 9112 §3, §6): a head whose every byte was
 * validated before it is written, and a body written with its declared length or chunked, kept
 * for one replay while it is small enough.
 */
import type { Socket } from "./http1_socket.ts";

/** Bodies up to this size are kept while written, so a failed write can be replayed once. */
export const REPLAY_CAP_BYTES = 64 * 1024;

/** Hop-by-hop and framing headers the client writes itself (RFC 9110 §7.6.1). */
const OWN = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade",
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5 field-value: VCHAR, obs-text, SP and HTAB inside; no CR, LF or NUL. */
const FIELD_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\t \x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;
/** origin-form: `/` then visible ASCII only. */
const ORIGIN_FORM = /^\/[\x21-\x7e]*$/;
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.\-_]+):\d{1,5}$/;

/** Request fields by name: a `Headers`, or a `Map` keyed by lower-case names. */
export type FieldMap = Headers | ReadonlyMap<string, string>;

export interface HeadParts {
  method: string;
  target: string;
  host: string;
  headers: FieldMap;
  /** The body's framing: its length, "chunked", or none. */
  framing: number | "chunked" | "none";
}

/**
 * The request head as bytes; throws `TypeError` naming the first part that is not valid HTTP/1.1
 * (nothing is written then). Headers `connection` nominates are dropped with it.
 */
export function requestHead(parts: HeadParts): Uint8Array<ArrayBuffer> {
  const { method, target, host, headers, framing } = parts;
  if (!TOKEN.test(method)) throw new TypeError(`Method "${method}" is not a valid token`);
  if (!ORIGIN_FORM.test(target)) throw new TypeError("Request target is not a valid origin-form");
  if (!HOST.test(host)) throw new TypeError(`Host "${host}" is not a valid authority`);
  if (framing !== "chunked" && framing !== "none" && !Number.isSafeInteger(framing)) {
    throw new TypeError(`Content-Length ${framing} is not a valid length`);
  }
  if (typeof framing === "number" && framing < 0) {
    throw new TypeError(`Content-Length ${framing} is not a valid length`);
  }
  const nominated = connectionTokens(headers.get("connection") ?? null);
  let head = `${method} ${target} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of headers) {
    // A Map's keys should be lower-case already; a stray "Host" must not slip past OWN.
    const lower = name.toLowerCase();
    if (OWN.has(lower) || nominated.has(lower)) continue;
    if (!TOKEN.test(name)) throw new TypeError(`Header name "${name}" is not a valid token`);
    if (!FIELD_VALUE.test(value)) {
      throw new TypeError(`Header "${name}" has a value that is not a valid field value`);
    }
    head += `${name}: ${value}\r\n`;
  }
  if (framing === "chunked") head += "transfer-encoding: chunked\r\n";
  else if (framing !== "none") head += `content-length: ${framing}\r\n`;
  return latin1(head + "\r\n");
}

/** The lower-cased field names a `Connection` value lists. */
export function connectionTokens(value: string | null): Set<string> {
  if (value === null) return new Set();
  return new Set(value.toLowerCase().split(",").map((t) => t.trim()).filter(Boolean));
}

const NON_ASCII = /[\u0080-\uffff]/;
const encoder = new TextEncoder();

/** One byte per character: every character was checked to be at most U+00FF. */
function latin1(text: string): Uint8Array<ArrayBuffer> {
  // ASCII, the usual case, is the same bytes in UTF-8: the native encoder is faster than a loop.
  if (!NON_ASCII.test(text)) return encoder.encode(text) as Uint8Array<ArrayBuffer>;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** A request body that can be written once more after a failed write, while it is small. */
export class ReplayableBody {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #kept: Uint8Array[] = [];
  #keptBytes = 0;
  #replayable = true;
  #done = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** False once more than `REPLAY_CAP_BYTES` were read from the source. */
  get replayable(): boolean {
    return this.#replayable;
  }

  /**
   * Writes the kept chunks, then the rest of the source, framed by `length` or chunked. A
   * source that errors or disagrees with `length` throws (no `ConnectionFailed`).
   */
  async writeTo(socket: Socket, length: number | undefined): Promise<void> {
    let sent = 0;
    const send = async (chunk: Uint8Array) => {
      sent += chunk.byteLength;
      if (length !== undefined && sent > length) {
        throw new RangeError("Request body is longer than its Content-Length");
      }
      await socket.write(length === undefined ? chunkOf(chunk) : chunk);
    };
    for (const chunk of this.#kept) await send(chunk);
    while (!this.#done) {
      const next = await this.#reader.read();
      if (next.done) {
        this.#done = true;
        break;
      }
      const chunk = next.value;
      if (chunk.byteLength === 0) continue;
      if (this.#replayable) {
        this.#keptBytes += chunk.byteLength;
        if (this.#keptBytes <= REPLAY_CAP_BYTES) this.#kept.push(chunk);
        else {
          this.#replayable = false;
          this.#kept = [];
        }
      }
      await send(chunk);
    }
    if (length !== undefined && sent !== length) {
      throw new RangeError("Request body is shorter than its Content-Length");
    }
    if (length === undefined) await socket.write(LAST_CHUNK);
  }

  /** Gives the source up (the request failed for good). */
  cancel(reason: unknown): void {
    if (!this.#done) this.#reader.cancel(reason).catch(() => {});
  }
}

const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");

function chunkOf(data: Uint8Array): Uint8Array {
  const size = `${data.byteLength.toString(16)}\r\n`;
  const out = new Uint8Array(size.length + data.byteLength + 2);
  for (let i = 0; i < size.length; i++) out[i] = size.charCodeAt(i);
  out.set(data, size.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}
