/**
 * Connections of apigw's HTTP/1.1 upstream client and their idle pool. An idle connection keeps
 * one read pending: when the upstream closes it (or sends anything unasked) it leaves the pool at
 * once, and a connection whose idle deadline passed is closed instead of reused, so a request is
 * never written to a connection the upstream already gave up.
 */

/** Per upstream; more idle connections than this are closed on release. */
export const MAX_IDLE_PER_UPSTREAM = 128;
/**
 * Idle lifetime when the upstream names none (`Keep-Alive: timeout=`): just below Node.js's 5 s
 * `keepAliveTimeout`, the shortest common server default (nginx 75 s, Go 3 min, Envoy 1 h).
 */
export const DEFAULT_IDLE_MS = 4_000;
/** An upstream's `Keep-Alive: timeout=` is cut by this margin, so the close never races reuse. */
export const IDLE_MARGIN_MS = 1_000;

const READ_SIZE = 16 * 1024;

/** The connection failed (reset, closed, refused) while writing or before any answer byte. */
export class ConnectionFailed extends Error {
  constructor(message: string, readonly phase: "write" | "read", options?: ErrorOptions) {
    super(message, options);
  }
}

/** A TCP connection with the read an idle pool keeps pending on it. */
export class Socket {
  /** Bytes read since the connection last left the pool (or was opened). */
  received = 0;
  /** Set while the connection waits in the pool. */
  idleUntil = 0;
  #pending: Promise<number | null> | undefined;
  #scratch: Uint8Array | undefined;
  #left: Uint8Array = new Uint8Array(0);
  #closed = false;

  constructor(readonly conn: Deno.TcpConn) {}

  get closed(): boolean {
    return this.#closed;
  }

  /** Read bytes nobody consumed yet: the connection's state is unknown then. */
  get buffered(): boolean {
    return this.#left.length > 0;
  }

  async write(bytes: Uint8Array): Promise<void> {
    try {
      let offset = 0;
      while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
    } catch (error) {
      throw new ConnectionFailed("Failed to write to the upstream connection", "write", {
        cause: error,
      });
    }
  }

  /** Reads into `into`; null at end of stream. A failing read throws `ConnectionFailed`. */
  async read(into: Uint8Array): Promise<number | null> {
    if (this.#pending !== undefined) {
      const pending = this.#pending;
      this.#pending = undefined;
      const n = await pending;
      if (n === null) return null;
      this.#left = this.#scratch!.subarray(0, n);
    }
    let n: number | null;
    if (this.#left.length > 0) {
      n = Math.min(into.length, this.#left.length);
      into.set(this.#left.subarray(0, n));
      this.#left = this.#left.subarray(n);
    } else {
      try {
        n = await this.conn.read(into);
      } catch (error) {
        throw new ConnectionFailed("Failed to read from the upstream connection", "read", {
          cause: error,
        });
      }
    }
    if (n !== null) this.received += n;
    return n;
  }

  /**
   * Whether any byte of an answer arrived, asked after a failed write: waits briefly for the read
   * left pending from the idle time (a broken connection completes it at once).
   */
  async answered(): Promise<boolean> {
    if (this.received > 0 || this.#left.length > 0) return true;
    const pending = this.#pending;
    if (pending === undefined) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<number>((resolve) => timer = setTimeout(() => resolve(0), 100));
    const n = await Promise.race([pending, waited]);
    clearTimeout(timer);
    return n !== null && n > 0;
  }

  /** Starts the idle read; `onIdleEnd` runs when it completes while still idle. */
  watch(onIdleEnd: () => void): void {
    this.#scratch ??= new Uint8Array(READ_SIZE);
    const pending = this.conn.read(this.#scratch).catch(() => null);
    this.#pending = pending;
    pending.then(() => {
      if (this.#pending === pending && this.idleUntil !== 0) onIdleEnd();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** Idle connections per upstream key, most recently used first out. */
export class Pool {
  readonly #idle = new Map<string, Socket[]>();
  readonly #open = new Set<Socket>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** A new connection; `signal` gives up while connecting only (the route timeout). */
  async connect(
    upstream: { hostname: string; port: number },
    signal?: AbortSignal,
  ): Promise<Socket> {
    const connecting = new AbortController();
    const onAbort = () => connecting.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let conn: Deno.TcpConn;
    try {
      signal?.throwIfAborted();
      conn = await Deno.connect({
        hostname: upstream.hostname,
        port: upstream.port,
        signal: connecting.signal,
      });
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    conn.setNoDelay(true);
    const socket = new Socket(conn);
    this.#open.add(socket);
    return socket;
  }

  /** An idle connection whose deadline has not passed, or undefined. */
  take(key: string): Socket | undefined {
    const list = this.#idle.get(key);
    if (list === undefined) return undefined;
    const now = this.#now();
    while (list.length > 0) {
      const socket = list.pop()!;
      if (!socket.closed && socket.idleUntil > now) {
        socket.idleUntil = 0;
        socket.received = 0;
        return socket;
      }
      this.discard(socket);
    }
    return undefined;
  }

  /** Pools `socket` for `idleMs` (the upstream's keep-alive timeout minus the margin). */
  release(key: string, socket: Socket, idleMs: number): void {
    const list = this.#idle.get(key) ?? [];
    if (
      socket.closed || socket.buffered || idleMs <= 0 || list.length >= MAX_IDLE_PER_UPSTREAM
    ) {
      return this.discard(socket);
    }
    socket.idleUntil = this.#now() + idleMs;
    socket.watch(() => {
      // Closed by the upstream, or it sent bytes nobody asked for: never reuse it.
      const at = list.indexOf(socket);
      if (at !== -1) list.splice(at, 1);
      this.discard(socket);
    });
    list.push(socket);
    this.#idle.set(key, list);
  }

  discard(socket: Socket): void {
    this.#open.delete(socket);
    socket.close();
  }

  /** Idle connections of `key`, for tests and metrics. */
  idleCount(key: string): number {
    return this.#idle.get(key)?.length ?? 0;
  }

  close(): void {
    for (const socket of this.#open) socket.close();
    this.#open.clear();
    this.#idle.clear();
  }
}
