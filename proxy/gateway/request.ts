/**
 * The boundary of a proxied request (docs/spec/dataplane.md §8): the raw `Request` becomes the one
 * canonical form routing and decisions use, or a 4xx. Method, path and host come from the
 * request line and `Host`/`:authority` only; `X-Forwarded-*`, `Forwarded`, `X-Original-URL` and
 * method override headers are never read. Header and declared body sizes are capped here.
 */
import {
  type CanonicalOptions,
  type CanonicalRequest,
  canonicalRequest,
} from "../../core/authz/canonical.ts";
import type { Rejection } from "../../core/authz/decision.ts";

export interface RequestLimits {
  /** §8 #11: a single header line (name and value) at most this long. */
  maxHeaderBytes: number;
  /** §8 #11: all header lines together (Envoy: 60 KiB). */
  maxHeadersTotalBytes: number;
  /** §8 #28: a larger declared or streamed body gets 413. */
  maxBodyBytes: number;
}

export interface GatewayRequest {
  /** Canonical request; `host` without port (the listener's port is ours). */
  request: CanonicalRequest;
  /** The authority as sent, for a wildcard host's `x-forwarded-host`. */
  authority: string;
}

export type Read =
  | { ok: true; value: GatewayRequest }
  | {
    ok: false;
    error:
      | Rejection
      | { status: 413; reason: "body_too_large"; detail: string }
      | { status: 400; reason: "invalid_framing"; detail: string };
  };

/**
 * The request body's declared length per RFC 9112 §6.3, or why its framing is refused: every
 * `Content-Length` value (Deno joins repeated fields with ", ") must be the same decimal number,
 * and `Transfer-Encoding` may only be `chunked`, never together with `Content-Length`. Deno's
 * listener already refuses differing lengths and CL with TE; this holds whatever sits in front.
 */
export function declaredBodyLength(
  headers: Headers,
): { ok: true; value: number | undefined } | { ok: false; error: string } {
  const length = headers.get("content-length");
  const coding = headers.get("transfer-encoding");
  if (coding !== null) {
    if (length !== null) return { ok: false, error: "Content-Length with Transfer-Encoding" };
    if (coding.trim().toLowerCase() !== "chunked") {
      return { ok: false, error: "Transfer-Encoding other than chunked" };
    }
  }
  if (length === null) return { ok: true, value: undefined };
  let value: number | undefined;
  for (const part of length.split(",")) {
    const digits = part.trim();
    if (!/^\d{1,15}$/.test(digits) || (value !== undefined && value !== Number(digits))) {
      return { ok: false, error: "Invalid or differing Content-Length values" };
    }
    value = Number(digits);
  }
  return { ok: true, value };
}

/** Reads `request`; `url` is Deno's `Request.url` (scheme, authority, raw target). */
export function readRequest(
  request: Request,
  options: { canonical: CanonicalOptions; limits: RequestLimits },
): Read {
  const headers = request.headers;
  const { limits } = options;
  let total = 0;
  for (const [name, value] of headers) {
    const size = name.length + value.length + 4;
    if (size > limits.maxHeaderBytes || (total += size) > limits.maxHeadersTotalBytes) {
      return reject(431, "header_too_large", "Request headers exceed the size cap");
    }
  }
  const length = declaredBodyLength(headers);
  if (!length.ok) {
    return {
      ok: false,
      error: { status: 400, reason: "invalid_framing", detail: `Request framing: ${length.error}` },
    };
  }
  if (length.value !== undefined && length.value > limits.maxBodyBytes) {
    return {
      ok: false,
      error: { status: 413, reason: "body_too_large", detail: "Body too large" },
    };
  }
  const url = request.url;
  const start = url.indexOf("://") + 3;
  let end = start;
  while (end < url.length && url[end] !== "/" && url[end] !== "?" && url[end] !== "#") end++;
  const authority = url.slice(start, end);
  const host = headers.get("host");
  // Deno builds `url` from an absolute-form target's authority, else from Host (§8 #23).
  if (host !== null && host !== authority) {
    return reject(400, "host_mismatch", "Request target names another host than Host");
  }
  const canonical = canonicalRequest(
    { method: request.method, target: url.slice(end) || "/", host: host ?? authority },
    options.canonical,
  );
  if (!canonical.ok) return canonical;
  const value = canonical.value;
  return {
    ok: true,
    value: { request: { ...value, host: withoutPort(value.host) }, authority },
  };
}

function withoutPort(host: string): string {
  const colon = host.lastIndexOf(":");
  return colon > host.lastIndexOf("]") ? host.slice(0, colon) : host;
}

function reject(status: Rejection["status"], reason: Rejection["reason"], detail: string): Read {
  return { ok: false, error: { status, reason, detail } };
}
