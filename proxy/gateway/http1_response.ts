/**
 * The response side of apigw's HTTP/1.1 client: one response head parsed strictly (RFC 9112 §4,
 * §5, §6.3) so a hostile upstream cannot desync a pooled connection. Rejected: an invalid status
 * line or header line, obs-fold, differing or invalid `Content-Length`, `Content-Length` with
 * `Transfer-Encoding`, a transfer coding other than `chunked`, `101` (nothing asked to upgrade).
 * Identical `Content-Length` values merge. Headers `Connection` nominates are dropped.
 */
import {
  type Bytes,
  chunkedBody,
  concat,
  lengthBody,
  type Lifecycle,
  untilClose,
} from "./http1_body.ts";
import { connectionTokens } from "./http1_request.ts";
import { ConnectionFailed, type Socket } from "./http1_socket.ts";

const MAX_HEAD_BYTES = 64 * 1024;
/** 1xx interim answers skipped before the final one. */
const MAX_INTERIM = 8;
const READ_SIZE = 16 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t \x21-\x7e\x80-\xff]*$/;
/** RFC 9112 §4: the reason phrase may be empty or, seen in the wild, absent with its space. */
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-5]\d\d)(?: ([\t \x21-\x7e\x80-\xff]*))?$/;

const decoder = new TextDecoder("latin1");

export interface Head {
  status: number;
  statusText: string;
  /** Name (lower-case) and value of each field kept, in the order received. */
  headers: [string, string][];
  contentLength?: number;
  chunked: boolean;
  /** The upstream closes the connection after this response. */
  close: boolean;
  /** `Keep-Alive: timeout=` in milliseconds, when sent. */
  keepAliveMs?: number;
}

/**
 * Reads one response from `socket`. `release` gets the upstream's keep-alive timeout when it
 * named one. Fields named in `drop` (lower-case) are left out of the answer. Throws
 * `ConnectionFailed` when the connection ended before any byte of it.
 */
export async function readResponse(
  socket: Socket,
  method: string,
  pool: { release(keepAliveMs: number | undefined): void; discard(): void },
  drop?: ReadonlySet<string>,
): Promise<Response> {
  let buffer: Bytes = new Uint8Array(READ_SIZE);
  let length = 0;
  for (let interim = 0;; interim++) {
    let end = headEnd(buffer, length);
    while (end === -1) {
      if (length >= MAX_HEAD_BYTES) throw new RangeError("Upstream response head is too large");
      if (length === buffer.length) buffer = grow(buffer, buffer.length * 2);
      const n = await socket.read(buffer.subarray(length));
      if (n === null) {
        if (socket.received === 0) {
          throw new ConnectionFailed("Upstream closed the connection before answering", "read");
        }
        throw new TypeError("Upstream closed the connection mid-response");
      }
      length += n;
      end = headEnd(buffer, length);
    }
    const head = parseHead(decoder.decode(buffer.subarray(0, end)), drop);
    const rest = buffer.slice(end + 4, length);
    if (head.status === 101) throw new TypeError("Upstream switched protocols unasked");
    if (head.status < 200) {
      // 1xx interim answers (100 Continue, 103 Early Hints) are not forwarded.
      if (interim >= MAX_INTERIM) throw new TypeError("Upstream sent too many 1xx answers");
      buffer = concat(rest, new Uint8Array(READ_SIZE));
      length = rest.length;
      continue;
    }
    const life: Lifecycle = {
      release: () => pool.release(head.keepAliveMs),
      discard: () => pool.discard(),
    };
    if (method === "HEAD" || head.status === 204 || head.status === 304) {
      // A 204 announcing a body, or any body bytes, leave the connection's state unknown.
      const clean = rest.length === 0 && !head.chunked &&
        !(head.status === 204 && (head.contentLength ?? 0) > 0);
      if (!head.close && clean) life.release();
      else life.discard();
      return respond(head, null);
    }
    if (head.chunked) return respond(head, chunkedBody(socket, rest, !head.close, life));
    if (head.contentLength !== undefined) {
      const wanted = head.contentLength;
      if (rest.length >= wanted) {
        if (!head.close && rest.length === wanted) life.release();
        else life.discard();
        return respond(head, rest.subarray(0, wanted));
      }
      return respond(head, lengthBody(socket, rest, wanted, !head.close, life));
    }
    return respond(head, untilClose(socket, rest, life));
  }
}

/**
 * Parses a response head (status line and header lines, without the final CRLF CRLF); fields
 * named in `drop` are validated and then left out.
 */
export function parseHead(text: string, drop?: ReadonlySet<string>): Head {
  const lines = text.split("\r\n");
  const statusLine = STATUS_LINE.exec(lines[0] ?? "");
  if (statusLine === null) throw new TypeError("Upstream sent an invalid status line");
  const http10 = statusLine[1] === "0";
  const headers: [string, string][] = [];
  let contentLength: number | undefined;
  const codings: string[] = [];
  let connection = new Set<string>();
  let keepAliveMs: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (colon <= 0 || !TOKEN.test(name) || !FIELD_VALUE.test(value)) {
      throw new TypeError("Upstream sent an invalid header line");
    }
    if (name === "content-length") {
      for (const part of value.split(",")) {
        const digits = part.trim();
        // RFC 9112 §6.3: identical values are one length; differing or invalid ones are fatal.
        if (!/^\d{1,15}$/.test(digits) || (contentLength ?? Number(digits)) !== Number(digits)) {
          throw new TypeError("Upstream sent an invalid Content-Length");
        }
        contentLength = Number(digits);
      }
    } else if (name === "transfer-encoding") {
      codings.push(...value.toLowerCase().split(",").map((t) => t.trim()).filter(Boolean));
    } else if (name === "connection") {
      connection = new Set([...connection, ...connectionTokens(value)]);
    } else if (name === "keep-alive") {
      const timeout = /(?:^|[,;\s])timeout\s*=\s*"?(\d{1,6})"?/i.exec(value);
      if (timeout !== null) keepAliveMs = Number(timeout[1]) * 1000;
    } else if (drop === undefined || !drop.has(name)) {
      headers.push([name, value]);
    }
  }
  if (codings.length > 0) {
    if (contentLength !== undefined) {
      throw new TypeError("Upstream sent both Transfer-Encoding and Content-Length");
    }
    if (http10 || codings.length !== 1 || codings[0] !== "chunked") {
      throw new TypeError(`Upstream sent an unsupported Transfer-Encoding "${codings.join(", ")}"`);
    }
  }
  return {
    status: Number(statusLine[2]),
    statusText: statusLine[3] ?? "",
    // RFC 9110 §7.6.1: the fields `Connection` nominates are for this hop only.
    headers: connection.size === 0 ? headers : headers.filter(([name]) => !connection.has(name)),
    ...(contentLength !== undefined ? { contentLength } : {}),
    chunked: codings.length > 0,
    close: connection.has("close") || (http10 && !connection.has("keep-alive")),
    ...(keepAliveMs !== undefined ? { keepAliveMs } : {}),
  };
}

function respond(head: Head, body: BodyInit | null): Response {
  return new Response(body, {
    status: head.status,
    statusText: head.statusText,
    headers: head.headers,
  });
}

function headEnd(buffer: Uint8Array, length: number): number {
  for (let i = 3; i < length; i++) {
    if (buffer[i] === 10 && buffer[i - 1] === 13 && buffer[i - 2] === 10 && buffer[i - 3] === 13) {
      return i - 3;
    }
  }
  return -1;
}

function grow(buffer: Uint8Array, size: number): Bytes {
  const bigger = new Uint8Array(size);
  bigger.set(buffer);
  return bigger;
}
