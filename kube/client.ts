/**
 * A small Kubernetes API client over `fetch`: JSON requests with errors mapped once into
 * `KubeError` (errors.ts), and watch streams read line by line. Every answer leaves here as
 * `unknown` or as a guarded `KubeObject`; nothing is cast.
 */
import type { KubeObject } from "../api/meta.ts";
import type { Result } from "../api/result.ts";
import type { Connection } from "./connection.ts";
import { errorFromResponse, KubeError, unavailable } from "./errors.ts";
import { asKubeObject } from "./object.ts";

export interface RequestOptions {
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  /** Defaults to `application/json` when there is a body. */
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

/** Called once per finished request, for the REST client metrics. */
export type RequestObserver = (event: {
  method: string;
  /** The HTTP status, or undefined when no answer came. */
  status: number | undefined;
  durationMs: number;
}) => void;

export interface KubeClient {
  /** One request; the parsed JSON body on 2xx. */
  request(
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<Result<unknown, KubeError>>;
  /** Like `request()`, for answers that must be one Kubernetes object. */
  requestObject(
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<Result<KubeObject, KubeError>>;
  /**
   * A watch (or any newline-delimited JSON stream): the parsed lines, until the server ends it
   * or `signal` aborts. A stream that breaks ends the iteration with an `Unavailable` error.
   */
  stream(path: string, options: { accept?: string; signal: AbortSignal }): Promise<
    Result<AsyncIterable<unknown>, KubeError>
  >;
  /** Releases the connection pool. */
  close(): void;
}

export interface ClientOptions {
  /** Per-request deadline for everything but streams (default 30 s: longer than any apiserver write). */
  timeoutMs?: number;
  observe?: RequestObserver;
  userAgent?: string;
  /**
   * Longest line of a watch stream held while it is incomplete (default 16 MiB, in UTF-16 code
   * units): a stream that sends more without a newline ends with an `Unavailable` error instead
   * of growing the buffer without bound. The apiserver's own objects stay under 3 MiB.
   */
  maxLineLength?: number;
}

/** A client for `connection`. */
export function createKubeClient(connection: Connection, options: ClientOptions = {}): KubeClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const http = Deno.createHttpClient({
    ...(connection.caPem === undefined ? {} : { caCerts: [connection.caPem] }),
    ...(connection.clientCert === undefined ? {} : connection.clientCert),
  });
  const observe = options.observe ?? (() => {});
  const userAgent = options.userAgent ?? "apigw";
  const maxLineLength = options.maxLineLength ?? 16 * 1024 * 1024;

  async function send(
    method: string,
    path: string,
    request: RequestOptions,
    signal: AbortSignal,
  ): Promise<Response> {
    const headers = new Headers({
      accept: request.accept ?? "application/json",
      "user-agent": userAgent,
    });
    const token = await connection.token();
    if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
    let body: string | undefined;
    if (request.body !== undefined) {
      body = typeof request.body === "string" ? request.body : JSON.stringify(request.body);
      headers.set("content-type", request.contentType ?? "application/json");
    }
    return await fetch(`${connection.server}${path}`, {
      method,
      headers,
      client: http,
      signal,
      ...(body === undefined ? {} : { body }),
    });
  }

  async function request(
    method: string,
    path: string,
    request: RequestOptions = {},
  ): Promise<Result<unknown, KubeError>> {
    const what = `${method} ${path}`;
    const started = performance.now();
    // One controller and a timer cleared at the end, rather than AbortSignal.timeout(): a pending
    // timeout signal keeps the request's resources alive for its whole duration.
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error(`timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const forward = () => controller.abort(request.signal?.reason);
    if (request.signal?.aborted) forward();
    else request.signal?.addEventListener("abort", forward, { once: true });
    let status: number | undefined;
    try {
      const response = await send(method, path, request, controller.signal);
      status = response.status;
      const text = await response.text();
      const body = parseJson(text);
      if (!response.ok) return { ok: false, error: errorFromResponse(response.status, body, what) };
      return { ok: true, value: body };
    } catch (error) {
      return { ok: false, error: unavailable(what, error) };
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", forward);
      observe({ method, status, durationMs: performance.now() - started });
    }
  }

  return {
    request,
    async requestObject(method, path, options = {}) {
      const result = await request(method, path, options);
      if (!result.ok) return result;
      const object = asKubeObject(result.value);
      return object === undefined
        ? {
          ok: false,
          error: new KubeError("Unavailable", `${method} ${path} answered with no object`),
        }
        : { ok: true, value: object };
    },
    async stream(path, options) {
      const what = `GET ${path}`;
      let response: Response;
      try {
        response = await send(
          "GET",
          path,
          { accept: options.accept ?? "application/json" },
          options.signal,
        );
      } catch (error) {
        observe({ method: "WATCH", status: undefined, durationMs: 0 });
        return { ok: false, error: unavailable(what, error) };
      }
      observe({ method: "WATCH", status: response.status, durationMs: 0 });
      if (!response.ok || response.body === null) {
        const body = parseJson(await response.text().catch(() => ""));
        return { ok: false, error: errorFromResponse(response.status, body, what) };
      }
      return { ok: true, value: jsonLines(response.body, what, options.signal, maxLineLength) };
    },
    close: () => http.close(),
  };
}

/**
 * The JSON values of a newline-delimited stream, until it ends or `signal` aborts. An abort
 * cancels the reader itself: an aborted fetch does not always fail a pending read of an idle
 * HTTP/2 body, and racing each read against the signal would keep every chunk reachable.
 */
async function* jsonLines(
  body: ReadableStream<Uint8Array>,
  what: string,
  signal: AbortSignal,
  maxLineLength: number,
): AsyncIterable<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const cancel = () => void reader.cancel().catch(() => {});
  if (signal.aborted) cancel();
  else signal.addEventListener("abort", cancel, { once: true });
  try {
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (signal.aborted) return;
        throw unavailable(what, error);
      }
      if (chunk.done || signal.aborted) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      let start = 0;
      let newline: number;
      while ((newline = buffer.indexOf("\n", start)) !== -1) {
        const line = buffer.slice(start, newline).trim();
        start = newline + 1;
        if (line !== "") yield parseJson(line);
      }
      buffer = buffer.slice(start);
      if (buffer.length > maxLineLength) {
        throw unavailable(what, new Error(`a line exceeded ${maxLineLength} characters`));
      }
    }
  } finally {
    signal.removeEventListener("abort", cancel);
    cancel();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
