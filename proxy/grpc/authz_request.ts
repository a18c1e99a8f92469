/**
 * The boundary of a gRPC ext_authz check: a `CheckRequest` as @grpc/proto-loader decodes it
 * (field names as in the .proto, `bytes` as Buffers) becomes the same `CheckInput` the HTTP
 * check builds (`proxy/check_request.ts`): method, host and path with query from
 * `attributes.request.http`, the headers from `headers` or `header_map` (repeated names joined
 * with ", " as the HTTP check's `Headers` does). A message without `attributes.request.http`,
 * a method or a path is malformed (an RPC error); the rest goes to the same canonical form and
 * the same 4xx rejections as the HTTP check.
 */
import { type CanonicalOptions, canonicalRequest } from "../../core/authz/canonical.ts";
import type { Rejection } from "../../core/authz/decision.ts";
import type { HeaderReader } from "../../core/authz/token.ts";
import type { CheckInput } from "../outcome.ts";

export interface GrpcCheckOptions {
  canonical: CanonicalOptions;
  /** `Host` and `Authorization` at most this long, as the HTTP check. */
  maxHeaderBytes: number;
}

/** Malformed: an RPC error. Rejected: a deny decision, as the HTTP check answers it. */
export type ParsedCheck =
  | { ok: true; value: CheckInput; requestId: string | undefined }
  | { ok: false; malformed: string }
  | { ok: false; rejection: Rejection; method: string };

/**
 * Reads a decoded `CheckRequest`. `connectionPeer` is the address the call came from; the
 * workload is `attributes.destination.address` when Envoy names it, else that peer (the HTTP
 * check's peer is the asking sidecar too). `attributes.source.address` is the client: it stands
 * in for `x-forwarded-for` when the request has none.
 */
export function parseCheckRequest(
  raw: unknown,
  connectionPeer: string | undefined,
  options: GrpcCheckOptions,
): ParsedCheck {
  const attributes = field(raw, "attributes");
  const http = field(field(attributes, "request"), "http");
  if (!isRecord(http)) return { ok: false, malformed: "attributes.request.http is missing" };
  const method = http.method;
  const path = http.path;
  if (typeof method !== "string" || method === "") {
    return { ok: false, malformed: "attributes.request.http.method is missing" };
  }
  if (typeof path !== "string" || path === "") {
    return { ok: false, malformed: "attributes.request.http.path is missing" };
  }
  const host = typeof http.host === "string" && http.host !== "" ? http.host : null;
  const headers = headersOf(http);
  if (typeof headers === "string") return { ok: false, malformed: headers };
  const reject = (status: Rejection["status"], reason: Rejection["reason"], detail: string) => ({
    ok: false as const,
    rejection: { status, reason, detail },
    method,
  });
  // As the HTTP check: no body is forwarded unless configured, so a body is a client error.
  if (byteLength(http.body) > 0 || byteLength(http.raw_body) > 0) {
    return reject(413, "body_not_expected", "Check request carries a body");
  }
  const authorization = headers.get("authorization");
  if (
    (host !== null && host.length > options.maxHeaderBytes) ||
    (authorization !== null && authorization.length > options.maxHeaderBytes)
  ) {
    return reject(431, "header_too_large", "A header exceeds the size cap");
  }
  const canonical = canonicalRequest({ method, target: path, host }, options.canonical);
  if (!canonical.ok) return { ok: false, rejection: canonical.error, method };
  const client = socketAddress(field(attributes, "source"));
  const workload = socketAddress(field(attributes, "destination")) ?? connectionPeer;
  const reader: HeaderReader = client === undefined ? headers : {
    get: (name) => headers.get(name) ?? (name.toLowerCase() === "x-forwarded-for" ? client : null),
  };
  return {
    ok: true,
    value: {
      request: canonical.value,
      headers: reader,
      ...(workload !== undefined ? { peer: workload } : {}),
    },
    requestId: headers.get("x-request-id") ?? (typeof http.id === "string" ? http.id : undefined),
  };
}

/** `headers` (Envoy's joined map) or `header_map` (`value` or `raw_value`), lower-cased. */
function headersOf(http: Record<string, unknown>): HeaderReader | string {
  const map = new Map<string, string>();
  const add = (key: string, value: string) => {
    const name = key.toLowerCase();
    const before = map.get(name);
    map.set(name, before === undefined ? value : `${before}, ${value}`);
  };
  const entries = field(http, "header_map");
  const list = isRecord(entries) ? entries.headers : undefined;
  if (Array.isArray(list) && list.length > 0) {
    for (const [i, entry] of list.entries()) {
      if (!isRecord(entry) || typeof entry.key !== "string") {
        return `attributes.request.http.header_map.headers[${i}] has no key`;
      }
      const rawValue = entry.raw_value;
      const value = rawValue instanceof Uint8Array && rawValue.byteLength > 0
        ? new TextDecoder("latin1").decode(rawValue)
        : typeof entry.value === "string"
        ? entry.value
        : "";
      add(entry.key, value);
    }
  } else if (Array.isArray(http.headers)) {
    // A map decoded from the descriptor set: its entries as `{ key, value }` messages.
    for (const [i, entry] of http.headers.entries()) {
      if (!isRecord(entry) || typeof entry.key !== "string") {
        return `attributes.request.http.headers[${i}] has no key`;
      }
      add(entry.key, typeof entry.value === "string" ? entry.value : "");
    }
  }
  return { get: (name) => map.get(name.toLowerCase()) ?? null };
}

function socketAddress(peer: unknown): string | undefined {
  const address = field(field(field(peer, "address"), "socket_address"), "address");
  return typeof address === "string" && address !== "" ? address : undefined;
}

function byteLength(value: unknown): number {
  if (typeof value === "string") return value.length;
  return value instanceof Uint8Array ? value.byteLength : 0;
}

function field(value: unknown, name: string): unknown {
  return isRecord(value) ? value[name] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
