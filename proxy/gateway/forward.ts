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

/**
 * The headers of the upstream request, by lower-case name (a `Map`: cheaper than `Headers`, whose
 * every call validates; apigw's HTTP/1.1 client validates each name and value before writing).
 */
export function upstreamHeaders(
  incoming: Headers,
  route: Route,
  extra: { peer: Peer; requestId: string; decided: Readonly<Record<string, string>> },
): Map<string, string> {
  const headers = new Map<string, string>();
  let connection: string | undefined;
  let forwardedFor: string | undefined;
  let forwarded: string | undefined;
  for (const [name, value] of incoming) {
    if (name === "connection") connection = value;
    else if (name === "x-forwarded-for") forwardedFor = value;
    else if (name === "forwarded") forwarded = value;
    if (
      HOP_BY_HOP.has(name) || OWNED.has(name) || name.startsWith("x-envoy-") ||
      name === "content-length"
    ) continue;
    headers.set(name, value);
  }
  if (connection !== undefined) {
    // RFC 9110 §7.6.1: the fields `Connection` nominates are for this hop only.
    for (const name of connectionTokens(connection)) headers.delete(name);
  }
  // Repeated identical lengths reach us joined ("5, 5"): forward the one number (§8 #27).
  const length = declaredBodyLength(incoming);
  if (length.ok && length.value !== undefined) headers.set("content-length", `${length.value}`);
  const { peer } = extra;
  headers.set(
    "x-forwarded-for",
    forwardedFor === undefined ? peer.address : `${forwardedFor}, ${peer.address}`,
  );
  const node = peer.address.includes(":") ? `"[${peer.address}]"` : peer.address;
  const element = `for=${node};host="${peer.authority}";proto=${peer.scheme}`;
  headers.set("forwarded", forwarded === undefined ? element : `${forwarded}, ${element}`);
  headers.set("x-forwarded-proto", peer.scheme);
  headers.set("x-forwarded-host", route.forwardedHost ?? peer.authority);
  headers.set("x-request-id", extra.requestId);
  for (const [name, value] of route.setHeaders) headers.set(name.toLowerCase(), value);
  for (const [name, value] of Object.entries(extra.decided)) headers.set(name.toLowerCase(), value);
  return headers;
}

/** The client's copy of the upstream response headers. */
export function responseHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  const connection = upstream.get("connection");
  const named = connection === null ? undefined : new Set(connectionTokens(connection));
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
 * The upstream response fields apigw's HTTP/1.1 client leaves out of the answers it builds
 * (`dropResponseHeaders`): hop-by-hop ones and the route's CORS headers. It consumes the framing
 * and connection fields itself and drops the ones `Connection` nominates.
 */
export const DROPPED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  ...STRIPPED_RESPONSE_HEADERS,
]);

function connectionTokens(connection: string): string[] {
  return connection.toLowerCase().split(",").map((t) => t.trim()).filter(Boolean);
}
