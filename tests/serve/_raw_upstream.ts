/**
 * A hostile plain-TCP upstream for `apigw serve`: it records the raw bytes each connection
 * brought, parses requests itself the way a lenient server would (a `Content-Length` it cannot
 * read means no body, so anything after it is the next request), answers each one by `answer`,
 * and closes a connection that stayed idle for `idleCloseMs`, without a `Keep-Alive` header, as
 * stock servers do.
 */

export interface RawRequest {
  /** The connection it came on, numbered from 0 in accept order. */
  connection: number;
  method: string;
  target: string;
  /** The head as received (request line and header lines). */
  head: string;
  body: string;
}

/** The raw answer to `request`, or null to close the connection without answering. */
export type Answer = (request: RawRequest, seen: number) => string | null | Promise<string | null>;

export interface RawUpstream extends AsyncDisposable {
  port: number;
  /** Every byte each connection sent, in accept order. */
  received: string[];
  requests: RawRequest[];
  /** Connections this upstream closed because they were idle. */
  idleClosed: number;
}

/** JSON of what arrived: method, target, body length and the connection number. */
export const echo: Answer = (request) => {
  const text = JSON.stringify({
    method: request.method,
    target: request.target,
    body: request.body,
    connection: request.connection,
  });
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${text.length}\r\n\r\n${text}`;
};

export function startRawUpstream(
  options: { answer?: Answer; idleCloseMs?: number } = {},
): RawUpstream {
  const answer = options.answer ?? echo;
  const idleCloseMs = options.idleCloseMs ?? 2_000;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  type Timer = ReturnType<typeof setTimeout>;
  const timers = new Set<Timer>();
  const handlers: Promise<void>[] = [];
  const upstream: RawUpstream = {
    port: listener.addr.port,
    received: [],
    requests: [],
    idleClosed: 0,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const timer of timers) clearTimeout(timer);
      for (const conn of conns) close(conn);
      await accepting;
      await Promise.all(handlers);
    },
  };
  function close(conn: Deno.Conn): void {
    conns.delete(conn);
    try {
      conn.close();
    } catch { /* closed */ }
  }
  async function serve(conn: Deno.Conn, index: number): Promise<void> {
    const decoder = new TextDecoder("latin1");
    const buffer = new Uint8Array(65536);
    let text = "";
    let timer: Timer | undefined;
    const idle = () => {
      const started: Timer = setTimeout(() => {
        timers.delete(started);
        upstream.idleClosed++;
        close(conn);
      }, idleCloseMs);
      timer = started;
      timers.add(started);
    };
    idle();
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      clearTimeout(timer);
      timers.delete(timer!);
      const chunk = decoder.decode(buffer.subarray(0, n));
      upstream.received[index] += chunk;
      text += chunk;
      let request: { request: RawRequest; rest: string } | undefined;
      while ((request = nextRequest(text, index)) !== undefined) {
        text = request.rest;
        upstream.requests.push(request.request);
        const reply = await answer(request.request, upstream.requests.length - 1);
        if (reply === null) return close(conn);
        await conn.write(Uint8Array.from(reply, (c) => c.charCodeAt(0))).catch(() => {});
        if (/^connection: close/im.test(reply.split("\r\n\r\n")[0]!)) return close(conn);
      }
      idle();
    }
    clearTimeout(timer);
    timers.delete(timer!);
    close(conn);
  }
  const accepting = (async () => {
    let index = 0;
    for await (const conn of listener) {
      conns.add(conn);
      upstream.received.push("");
      handlers.push(serve(conn, index++));
    }
  })();
  return upstream;
}

/** One complete request at the start of `text`, lenient like many servers: a bad length is 0. */
function nextRequest(
  text: string,
  connection: number,
): { request: RawRequest; rest: string } | undefined {
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const head = text.slice(0, end);
  const [method = "", target = ""] = head.split("\r\n")[0]!.split(" ");
  let rest = text.slice(end + 4);
  let body = "";
  if (/^transfer-encoding: *chunked/im.test(head)) {
    while (true) {
      const line = rest.indexOf("\r\n");
      if (line === -1) return undefined;
      const size = parseInt(rest.slice(0, line), 16);
      if (rest.length < line + 2 + size + 2) return undefined;
      body += rest.slice(line + 2, line + 2 + size);
      rest = rest.slice(line + 2 + size + 2);
      if (size === 0 || Number.isNaN(size)) break;
    }
  } else {
    const length = parseInt(/^content-length: *(.*)$/im.exec(head)?.[1] ?? "0", 10) || 0;
    if (rest.length < length) return undefined;
    body = rest.slice(0, length);
    rest = rest.slice(length);
  }
  return { request: { connection, method, target, head, body }, rest };
}
