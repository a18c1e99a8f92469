/**
 * The boundary of an Envoy HTTP ext_authz check (docs/spec/dataplane.md §1.2, DP-AUTHZ-1..4): the raw
 * `Request` becomes a canonical request, or a rejection. Method, path and host come from the
 * check request itself; `X-Forwarded-*`, `Forwarded`, `X-Original-URL` and method override
 * headers are never read (§8 #13, #24). The `Request` is not modified and its body never read.
 */
import {
  type Canonical,
  type CanonicalOptions,
  canonicalRequest,
} from "../core/authz/canonical.ts";
import type { Rejection } from "../core/authz/decision.ts";
import type { CheckInput } from "./pipeline.ts";

export interface CheckRequestOptions {
  /** Envoy `path_prefix`: the check path is this prefix plus the original `:path`. */
  pathPrefix: string;
  canonical: CanonicalOptions;
  /** §8 #11: `Host` and `Authorization` at most this long (custom token headers: the token cap). */
  maxHeaderBytes: number;
}

/** Reads the original request out of a check request. */
export function readCheckRequest(
  request: Request,
  options: CheckRequestOptions,
): Canonical<CheckInput> {
  const headers = request.headers;
  // DP-AUTHZ-2: no body is forwarded unless configured, so a body is a client error.
  const length = headers.get("content-length");
  const declared = length !== null && length !== "0";
  // Framing headers only: Deno hands non-GET requests an (empty) body stream regardless.
  if (declared || headers.has("transfer-encoding")) {
    return reject(413, "body_not_expected", "Check request carries a body");
  }
  // §8 #11: the headers decisions read are capped (the codec bounds the whole block; reading
  // every header of every check only to measure it would cost more than the decision).
  const host = headers.get("host");
  const authorization = headers.get("authorization");
  if (
    (host !== null && host.length > options.maxHeaderBytes) ||
    (authorization !== null && authorization.length > options.maxHeaderBytes)
  ) {
    return reject(431, "header_too_large", "A header exceeds the size cap");
  }
  const split = splitUrl(request.url);
  // Deno builds `url` from an absolute-form target's authority, else from Host (§8 #23).
  if (host !== null && split.authority !== host) {
    return reject(400, "host_mismatch", "Request target names another host than Host");
  }
  let target = split.target;
  if (options.pathPrefix !== "") {
    const rest = target.slice(options.pathPrefix.length);
    if (!target.startsWith(options.pathPrefix) || !(rest === "" || /^[/?]/.test(rest))) {
      return reject(400, "path_outside_prefix", "Path is not under the configured prefix");
    }
    target = rest.startsWith("/") ? rest : `/${rest}`;
  }
  const canonical = canonicalRequest(
    { method: request.method, target, host },
    options.canonical,
  );
  if (!canonical.ok) return canonical;
  return { ok: true, value: { request: canonical.value, headers } };
}

/** `http://authority/target` → its raw parts; Deno keeps the target as sent. */
function splitUrl(url: string): { authority: string; target: string } {
  const start = url.indexOf("://") + 3;
  let end = start;
  while (end < url.length && url[end] !== "/" && url[end] !== "?" && url[end] !== "#") end++;
  return { authority: url.slice(start, end), target: url.slice(end) };
}

function reject(
  status: Rejection["status"],
  reason: Rejection["reason"],
  detail: string,
): { ok: false; error: Rejection } {
  return { ok: false, error: { status, reason, detail } };
}
