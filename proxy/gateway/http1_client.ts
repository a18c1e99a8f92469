/**
 * A small keep-alive HTTP/1.1 client for plain-HTTP upstreams. Deno's `fetch` costs more per
 * request than the rest of the gateway together (bench/README.md); this client writes the head
 * in one write, parses the answer in place, hands small bodies over as bytes and larger ones as a
 * stream, and keeps idle connections per upstream. Framing follows RFC 9112 §6: no body for HEAD,
 * 1xx, 204 and 304; `Transfer-Encoding: chunked`; `Content-Length`; else until close. A request
 * is never retried except on a pooled connection the upstream closed before answering anything.
 */

export interface Http1Request {
  method: string;
  /** Origin-form target, `/path?query`. */
  target: string;
  /** Validated by `Headers`; the client sets `host`, framing and `connection` itself. */
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  /** Known request body length (from `Content-Length`), else the body is sent chunked. */
  contentLength?: number;
  signal: AbortSignal;
}

export interface Http1Client {
  request(upstream: { hostname: string; port: number }, request: Http1Request): Promise<Response>;
  close(): void;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_IDLE_PER_UPSTREAM = 128;
const READ_SIZE = 16 * 1024;
/** Hop-by-hop and framing headers the client writes itself (RFC 9110 §7.6.1). */
const OWN = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

type Bytes = Uint8Array<ArrayBuffer>;

const encoder = new TextEncoder();
const decoder = new TextDecoder("latin1");

class ClosedBeforeAnswer extends Error {}

/** A client with empty pools. */
export function createHttp1Client(): Http1Client {
  const idle = new Map<string, Deno.TcpConn[]>();
  const open = new Set<Deno.TcpConn>();

  function release(key: string, conn: Deno.TcpConn): void {
    const list = idle.get(key) ?? [];
    if (list.length >= MAX_IDLE_PER_UPSTREAM) return discard(conn);
    list.push(conn);
    idle.set(key, list);
  }

  function discard(conn: Deno.TcpConn): void {
    open.delete(conn);
    try {
      conn.close();
    } catch { /* already closed */ }
  }

  async function connect(upstream: { hostname: string; port: number }): Promise<Deno.TcpConn> {
    const conn = await Deno.connect({ hostname: upstream.hostname, port: upstream.port });
    conn.setNoDelay(true);
    open.add(conn);
    return conn;
  }

  return {
    async request(upstream, request) {
      const key = `${upstream.hostname}:${upstream.port}`;
      const host = upstream.hostname.includes(":")
        ? `[${upstream.hostname}]:${upstream.port}`
        : key;
      const head = requestHead(request, host);
      // A pooled connection may have been closed by the upstream meanwhile: one retry on a
      // fresh connection, only when nothing of the answer arrived and no body was sent.
      for (let attempt = 0;; attempt++) {
        const pooled = idle.get(key)?.pop();
        const conn = pooled ?? await connect(upstream);
        const onAbort = () => discard(conn);
        request.signal.addEventListener("abort", onAbort, { once: true });
        try {
          await writeAll(conn, head);
          if (request.body !== null) await writeBody(conn, request.body, request.contentLength);
          return await readResponse(conn, request.method, {
            release: () => {
              request.signal.removeEventListener("abort", onAbort);
              release(key, conn);
            },
            discard: () => {
              request.signal.removeEventListener("abort", onAbort);
              discard(conn);
            },
          });
        } catch (error) {
          request.signal.removeEventListener("abort", onAbort);
          discard(conn);
          if (
            error instanceof ClosedBeforeAnswer && pooled !== undefined && attempt === 0 &&
            request.body === null && !request.signal.aborted
          ) continue;
          throw error;
        }
      }
    },
    close() {
      for (const conn of open) discard(conn);
      idle.clear();
    },
  };
}

function requestHead(request: Http1Request, host: string): Uint8Array {
  let head = `${request.method} ${request.target} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of request.headers) {
    if (!OWN.has(name)) head += `${name}: ${value}\r\n`;
  }
  if (request.body !== null) {
    head += request.contentLength !== undefined
      ? `content-length: ${request.contentLength}\r\n`
      : "transfer-encoding: chunked\r\n";
  }
  return encoder.encode(head + "\r\n");
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

async function writeBody(
  conn: Deno.TcpConn,
  body: ReadableStream<Uint8Array>,
  length: number | undefined,
): Promise<void> {
  let sent = 0;
  for await (const chunk of body) {
    if (chunk.byteLength === 0) continue;
    sent += chunk.byteLength;
    if (length !== undefined && sent > length) {
      throw new RangeError("Request body is longer than its Content-Length");
    }
    if (length !== undefined) await writeAll(conn, chunk);
    else {
      await writeAll(conn, encoder.encode(`${chunk.byteLength.toString(16)}\r\n`));
      await writeAll(conn, chunk);
      await writeAll(conn, encoder.encode("\r\n"));
    }
  }
  if (length !== undefined && sent !== length) {
    throw new RangeError("Request body is shorter than its Content-Length");
  }
  if (length === undefined) await writeAll(conn, encoder.encode("0\r\n\r\n"));
}

interface Lifecycle {
  release(): void;
  discard(): void;
}

/** Reads one response; the connection goes back to the pool once its body was read whole. */
async function readResponse(
  conn: Deno.TcpConn,
  method: string,
  life: Lifecycle,
): Promise<Response> {
  let buffer: Bytes = new Uint8Array(READ_SIZE);
  let length = 0;
  let received = false;
  while (true) {
    let end = headEnd(buffer, length);
    while (end === -1) {
      if (length >= MAX_HEAD_BYTES) throw new RangeError("Upstream response head is too large");
      if (length === buffer.length) buffer = grow(buffer, buffer.length * 2);
      const n = await conn.read(buffer.subarray(length));
      if (n === null) {
        throw received
          ? new TypeError("Upstream closed the connection mid-response")
          : new ClosedBeforeAnswer("Upstream closed the connection before answering");
      }
      received = true;
      length += n;
      end = headEnd(buffer, length);
    }
    const head = parseHead(decoder.decode(buffer.subarray(0, end)));
    const rest = buffer.slice(end + 4, length);
    if (head.status >= 100 && head.status < 200) {
      // 1xx interim answers (100 Continue, 103 Early Hints) are not forwarded.
      buffer = grow(rest, Math.max(READ_SIZE, rest.length));
      length = rest.length;
      continue;
    }
    const noBody = method === "HEAD" || head.status === 204 || head.status === 304;
    const reusable = !head.close;
    if (noBody) {
      if (reusable && rest.length === 0) life.release();
      else life.discard();
      return respond(head, null);
    }
    if (head.chunked) return respond(head, chunkedBody(conn, rest, reusable, life));
    if (head.contentLength !== undefined) {
      const wanted = head.contentLength;
      if (rest.length >= wanted) {
        if (reusable && rest.length === wanted) life.release();
        else life.discard();
        return respond(head, rest.subarray(0, wanted));
      }
      return respond(head, lengthBody(conn, rest, wanted, reusable, life));
    }
    return respond(head, untilClose(conn, rest, life));
  }
}

interface Head {
  status: number;
  statusText: string;
  headers: Headers;
  contentLength?: number;
  chunked: boolean;
  close: boolean;
}

function parseHead(text: string): Head {
  const lines = text.split("\r\n");
  const statusLine = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
  if (statusLine === null) throw new TypeError("Upstream sent an invalid status line");
  const headers = new Headers();
  let contentLength: number | undefined;
  let chunked = false;
  let close = lines[0]!.startsWith("HTTP/1.0");
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0 || line[0] === " " || line[0] === "\t") {
      throw new TypeError("Upstream sent an invalid header line");
    }
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") {
      // RFC 9112 §6.3: differing or invalid lengths are an unrecoverable framing error.
      if (
        !/^\d+$/.test(value) || (contentLength !== undefined && contentLength !== Number(value))
      ) {
        throw new TypeError("Upstream sent an invalid Content-Length");
      }
      contentLength = Number(value);
    } else if (name === "transfer-encoding") {
      chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
      if (!chunked) close = true;
    } else if (name === "connection") {
      const tokens = value.toLowerCase().split(",").map((t) => t.trim());
      if (tokens.includes("close")) close = true;
      if (tokens.includes("keep-alive")) close = close && !lines[0]!.startsWith("HTTP/1.0");
    } else if (name !== "keep-alive") {
      headers.append(name, value);
    }
  }
  return {
    status: Number(statusLine[1]),
    statusText: statusLine[2] ?? "",
    headers,
    ...(contentLength !== undefined && !chunked ? { contentLength } : {}),
    chunked,
    close,
  };
}

function respond(head: Head, body: BodyInit | null): Response {
  // `Response` refuses a body for 204/304 and statuses it cannot carry (< 200 never gets here).
  return new Response(body, {
    status: head.status,
    statusText: head.statusText,
    headers: head.headers,
  });
}

function lengthBody(
  conn: Deno.TcpConn,
  first: Uint8Array,
  wanted: number,
  reusable: boolean,
  life: Lifecycle,
): ReadableStream<Uint8Array> {
  let left = wanted - first.length;
  let sentFirst = first.length === 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sentFirst) {
        sentFirst = true;
        controller.enqueue(first);
        return;
      }
      const chunk = new Uint8Array(Math.min(READ_SIZE * 4, left));
      const n = await conn.read(chunk).catch(() => null);
      if (n === null) {
        life.discard();
        controller.error(new TypeError("Upstream closed the connection mid-body"));
        return;
      }
      left -= n;
      controller.enqueue(chunk.subarray(0, n));
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

function untilClose(
  conn: Deno.TcpConn,
  first: Uint8Array,
  life: Lifecycle,
): ReadableStream<Uint8Array> {
  let sentFirst = first.length === 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sentFirst) {
        sentFirst = true;
        controller.enqueue(first);
        return;
      }
      const chunk = new Uint8Array(READ_SIZE * 4);
      const n = await conn.read(chunk).catch(() => null);
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

/** Decodes `Transfer-Encoding: chunked` (RFC 9112 §7.1); trailers are read and dropped. */
function chunkedBody(
  conn: Deno.TcpConn,
  first: Bytes,
  reusable: boolean,
  life: Lifecycle,
): ReadableStream<Uint8Array> {
  let buffer: Bytes = first;
  async function fill(): Promise<void> {
    const chunk = new Uint8Array(READ_SIZE * 4);
    const n = await conn.read(chunk).catch(() => null);
    if (n === null) throw new TypeError("Upstream closed the connection mid-body");
    buffer = concat(buffer, chunk.subarray(0, n));
  }
  async function line(): Promise<string> {
    while (true) {
      const at = indexOfCrlf(buffer);
      if (at !== -1) {
        const text = decoder.decode(buffer.subarray(0, at));
        buffer = buffer.subarray(at + 2);
        return text;
      }
      if (buffer.length > MAX_HEAD_BYTES) throw new RangeError("Chunk header is too long");
      await fill();
    }
  }
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const size = parseInt((await line()).split(";")[0]!.trim(), 16);
        if (!Number.isSafeInteger(size) || size < 0) throw new TypeError("Invalid chunk size");
        if (size === 0) {
          while ((await line()) !== "") { /* trailer fields */ }
          if (reusable && buffer.length === 0) life.release();
          else life.discard();
          controller.close();
          return;
        }
        while (buffer.length < size + 2) await fill();
        controller.enqueue(buffer.slice(0, size));
        buffer = buffer.subarray(size + 2);
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

function headEnd(buffer: Uint8Array, length: number): number {
  for (let i = 3; i < length; i++) {
    if (buffer[i] === 10 && buffer[i - 1] === 13 && buffer[i - 2] === 10 && buffer[i - 3] === 13) {
      return i - 3;
    }
  }
  return -1;
}

function indexOfCrlf(buffer: Uint8Array): number {
  for (let i = 1; i < buffer.length; i++) {
    if (buffer[i] === 10 && buffer[i - 1] === 13) return i - 1;
  }
  return -1;
}

function grow(buffer: Uint8Array, size: number): Bytes {
  const bigger = new Uint8Array(size);
  bigger.set(buffer);
  return bigger;
}

function concat(a: Uint8Array, b: Uint8Array): Bytes {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
