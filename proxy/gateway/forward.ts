/**
 * Upstream request and client response headers (docs/spec/dataplane.md §8 #12, #13, #27): hop-by-hop
 * headers go, headers the gateway owns are overwritten rather than trusted from the client,
 * `X-Forwarded-For`/`Forwarded` get the peer appended, and the route's CORS headers are stripped
 * from the upstream's answer.
 */
import type { Route } from "./config.ts";
import { STRIPPED_RESPONSE_HEADERS } from "./cors.ts";
import { declaredBodyLength } from "./request.ts";

/** RFC 9110 §7.6.1 plus the legacy ones (§8 #27). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Headers only the gateway sets: a client copy is dropped, never forwarded or appended to. */
const OWNED = new Set([
  "host",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-request-id",
  "x-original-url",
  "x-rewrite-url",
  "x-envoy-original-path",
]);

export interface Peer {
  /** The client's address as the socket reports it. */
  address: string;
  scheme: "http" | "https";
  /** The authority as the client sent it. */
  authority: string;
}

/** The headers of the upstream request. */
export function upstreamHeaders(
  incoming: Headers,
  route: Route,
  extra: { peer: Peer; requestId: string; decided: Readonly<Record<string, string>> },
): Headers {
  const headers = new Headers();
  const named = connectionTokens(incoming);
  for (const [name, value] of incoming) {
    if (
      HOP_BY_HOP.has(name) || OWNED.has(name) || name.startsWith("x-envoy-") ||
      (named !== undefined && named.has(name))
    ) continue;
    if (name === "content-length") continue;
    headers.set(name, value);
  }
  // Repeated identical lengths reach us joined ("5, 5"): forward the one number (§8 #27).
  const length = declaredBodyLength(incoming);
  if (length.ok && length.value !== undefined) headers.set("content-length", `${length.value}`);
  const { peer } = extra;
  const forwardedFor = incoming.get("x-forwarded-for");
  headers.set(
    "x-forwarded-for",
    forwardedFor === null ? peer.address : `${forwardedFor}, ${peer.address}`,
  );
  const node = peer.address.includes(":") ? `"[${peer.address}]"` : peer.address;
  const element = `for=${node};host="${peer.authority}";proto=${peer.scheme}`;
  const forwarded = incoming.get("forwarded");
  headers.set("forwarded", forwarded === null ? element : `${forwarded}, ${element}`);
  headers.set("x-forwarded-proto", peer.scheme);
  headers.set("x-forwarded-host", route.forwardedHost ?? peer.authority);
  headers.set("x-request-id", extra.requestId);
  for (const [name, value] of route.setHeaders) headers.set(name, value);
  for (const [name, value] of Object.entries(extra.decided)) headers.set(name, value);
  return headers;
}

/** The client's copy of the upstream response headers. */
export function responseHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  const named = connectionTokens(upstream);
  for (const [name, value] of upstream) {
    if (HOP_BY_HOP.has(name) || (named !== undefined && named.has(name))) continue;
    if (name === "set-cookie") continue;
    headers.set(name, value);
  }
  // `Headers` iteration joins Set-Cookie lines, which must stay separate.
  for (const cookie of upstream.getSetCookie()) headers.append("set-cookie", cookie);
  for (const name of STRIPPED_RESPONSE_HEADERS) headers.delete(name);
  return headers;
}

/**
 * `responseHeaders` in place, for answers of apigw's HTTP/1.1 client: it has already consumed
 * the framing and connection headers and dropped the fields `Connection` nominated, so only the
 * rest is left to remove.
 */
export function stripResponseHeaders(headers: Headers): void {
  for (const name of HOP_BY_HOP) headers.delete(name);
  for (const name of STRIPPED_RESPONSE_HEADERS) headers.delete(name);
}

function connectionTokens(headers: Headers): Set<string> | undefined {
  const connection = headers.get("connection");
  if (connection === null) return undefined;
  return new Set(connection.toLowerCase().split(",").map((t) => t.trim()).filter(Boolean));
}
