/**
 * The one canonical request form (docs/spec/dataplane.md DP-CANON-1, §8): every rule match, the explain
 * command and the embedded gateway use what these functions return, computed from the raw
 * request target, never from `new URL().pathname` or router params.
 */
import type { Rejection } from "./decision.ts";

/**
 * Istio `ProxyPathNormalization` names: `BASE` decodes unreserved escapes, turns `\` into `/`
 * and resolves dot segments; `MERGE_SLASHES` also collapses `//`; `DECODE_AND_MERGE_SLASHES`
 * also decodes `%2F`/`%5C` first.
 */
export type PathNormalization = "BASE" | "MERGE_SLASHES" | "DECODE_AND_MERGE_SLASHES";
export const PATH_NORMALIZATIONS: readonly PathNormalization[] = [
  "BASE",
  "MERGE_SLASHES",
  "DECODE_AND_MERGE_SLASHES",
];

/** What to do with `%2F`/`%5C` unless the normalization decodes them (§8 #17). */
export type EscapedSlashes = "reject" | "keep";

export interface CanonicalOptions {
  normalization: PathNormalization;
  escapedSlashes: EscapedSlashes;
}

export const DEFAULT_CANONICAL_OPTIONS: CanonicalOptions = Object.freeze({
  normalization: "BASE",
  escapedSlashes: "reject",
});

/** §8 #22: a longer path or query is refused before any work is done on it. */
export const MAX_PATH_BYTES = 8 * 1024;
export const MAX_QUERY_BYTES = 8 * 1024;

/** A request as every matcher sees it. */
export interface CanonicalRequest {
  method: string;
  /** Lower case, no trailing dot, no default port. */
  host: string;
  /** Canonical path; "" only for a `CONNECT` authority-form target. */
  path: string;
  /** The raw query without `?`, kept for token extraction; never used for matching. */
  query: string;
}

export type Canonical<T> = { ok: true; value: T } | { ok: false; error: Rejection };

const UNRESERVED = /[A-Za-z0-9\-._~]/;
// Characters that stay literal in a canonical path; anything else printable is %-encoded,
// as Envoy's (Chromium's) path canonicaliser does.
const PATH_CHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@/%\\]/;
const HEX = /^[0-9A-Fa-f]{2}$/;
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const UNPLAIN_SEGMENT = /\/\.{1,2}(?:\/|$)|\/\//;
const METHOD = /^[A-Z][A-Z0-9_-]*$/;
const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
const PLAIN_HOST = /^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$/;

function reject(reason: Rejection["reason"], detail: string): { ok: false; error: Rejection } {
  return { ok: false, error: { status: reason.endsWith("_too_long") ? 414 : 400, reason, detail } };
}

/**
 * The canonical path of a raw request path (no query, no fragment).
 *
 * @example canonicalPath("/a/%2e%2e/admin", DEFAULT_CANONICAL_OPTIONS) // { ok, value: "/admin" }
 */
export function canonicalPath(raw: string, options: CanonicalOptions): Canonical<string> {
  if (raw.length > MAX_PATH_BYTES) return reject("path_too_long", "Path exceeds 8 KiB");
  // Most paths are canonical already: no escapes, backslashes, dot segments or empty segments.
  if (PLAIN_PATH.test(raw) && !UNPLAIN_SEGMENT.test(raw)) return { ok: true, value: raw };
  const decodeSlashes = options.normalization === "DECODE_AND_MERGE_SLASHES";
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    const code = char.charCodeAt(0);
    if (code < 0x21 || code > 0x7e) {
      return reject("invalid_path", "Path has a control, space or non-ASCII character");
    }
    if (char !== "%") {
      out += char === "\\" ? "/" : PATH_CHAR.test(char) ? char : `%${hex(code)}`;
      continue;
    }
    const digits = raw.slice(i + 1, i + 3);
    if (!HEX.test(digits)) return reject("invalid_path", "Path has an invalid %-escape");
    i += 2;
    const byte = parseInt(digits, 16);
    if (byte === 0) return reject("invalid_path", "Path has an encoded NUL");
    if (byte < 0x20 || byte === 0x7f) {
      return reject("invalid_path", "Path has an encoded control character");
    }
    const decoded = String.fromCharCode(byte);
    if (byte < 0x80 && UNRESERVED.test(decoded)) {
      out += decoded;
    } else if (byte === 0x2f || byte === 0x5c) {
      if (decodeSlashes) out += "/";
      else if (options.escapedSlashes === "keep") out += `%${hex(byte)}`;
      else return reject("escaped_slash", "Path has an encoded slash or backslash");
    } else {
      out += `%${hex(byte)}`;
    }
  }
  try {
    // Overlong forms and lone surrogates are not UTF-8: ECMAScript's decoder refuses both.
    decodeURIComponent(out);
  } catch {
    return reject("invalid_path", "Path escapes are not valid UTF-8");
  }
  if (!out.startsWith("/")) return reject("invalid_path", "Path does not start with /");
  let path = removeDotSegments(out);
  if (options.normalization !== "BASE") path = path.replace(/\/{2,}/g, "/");
  return { ok: true, value: path };
}

/** RFC 3986 §5.2.4 on an absolute path; `..` above the root stays at the root. */
export function removeDotSegments(path: string): string {
  const input = path.split("/").slice(1);
  const output: string[] = [];
  for (const [index, segment] of input.entries()) {
    const last = index === input.length - 1;
    if (segment === ".") {
      if (last) output.push("");
    } else if (segment === "..") {
      output.pop();
      if (last) output.push("");
    } else {
      output.push(segment);
    }
  }
  return "/" + output.join("/");
}

/** The canonical host: lower case, trailing dot and default ports (80, 443) removed. */
export function canonicalHost(raw: string | null | undefined): Canonical<string> {
  // The common case, a plain lower-case name without port, needs no rewriting.
  if (raw && PLAIN_HOST.test(raw) && !raw.includes("..")) return { ok: true, value: raw };
  if (raw === null || raw === undefined || raw === "") {
    return reject("missing_host", "Request has no Host");
  }
  let host = raw.toLowerCase();
  let port = "";
  const colon = host.lastIndexOf(":");
  if (colon !== -1 && colon > host.lastIndexOf("]")) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
    if (!/^[0-9]{1,5}$/.test(port)) return reject("invalid_host", "Host has an invalid port");
  }
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (!(HOST_NAME.test(host) && !host.includes("..")) && !IPV6.test(host)) {
    return reject("invalid_host", "Host is not a valid host name");
  }
  return {
    ok: true,
    value: port === "" || port === "80" || port === "443" ? host : `${host}:${port}`,
  };
}

/** Tells whether `method` is an upper-case HTTP method token (§8 #24). */
export function isCanonicalMethod(method: string): boolean {
  return METHOD.test(method);
}

/**
 * The canonical form of a request from its raw parts: `target` is the request target as sent
 * (origin form `/p?q`, or an authority form for `CONNECT`), `host` the `Host` header.
 */
export function canonicalRequest(
  raw: { method: string; target: string; host: string | null | undefined },
  options: CanonicalOptions,
): Canonical<CanonicalRequest> {
  if (!isCanonicalMethod(raw.method)) {
    return reject("invalid_method", "Method is not an upper-case token");
  }
  if (raw.target.includes("#")) return reject("invalid_path", "Request target has a fragment");
  const host = canonicalHost(raw.host);
  if (!host.ok) return host;
  if (raw.method === "CONNECT" && !raw.target.startsWith("/")) {
    return { ok: true, value: { method: raw.method, host: host.value, path: "", query: "" } };
  }
  const mark = raw.target.indexOf("?");
  const rawPath = mark === -1 ? raw.target : raw.target.slice(0, mark);
  const query = mark === -1 ? "" : raw.target.slice(mark + 1);
  if (query.length > MAX_QUERY_BYTES) return reject("query_too_long", "Query exceeds 8 KiB");
  const path = canonicalPath(rawPath, options);
  if (!path.ok) return path;
  return { ok: true, value: { method: raw.method, host: host.value, path: path.value, query } };
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, "0");
}
