/**
 * The naive peers of the gateway benchmark: a bare Deno reverse proxy, `Deno.serve` plus one
 * upstream call per request to `UPSTREAM` (first argument), body streamed back, no routing or
 * checks. The second argument picks the upstream client: `fetch` (default) or `http1`, apigw's
 * own keep-alive HTTP/1.1 client (`proxy/gateway/http1_client.ts`), so `apigw serve` can be
 * compared with a proxy over the same client (issue 14: the limit of this runtime).
 *
 *   deno run -A bench/serve_bare.ts http://127.0.0.1:8080 [fetch|http1]
 */
import { createHttp1Client } from "../proxy/gateway/http1_client.ts";
import { DROPPED_RESPONSE_HEADERS } from "../proxy/gateway/forward.ts";

const [upstream, client = "fetch"] = Deno.args;
if (upstream === undefined || !["fetch", "http1"].includes(client)) {
  throw new TypeError("Usage: serve_bare.ts http://host:port [fetch|http1]");
}
const origin = new URL(upstream);
/** Set by the client itself, or hop-by-hop. */
const DROPPED = new Set([
  "host",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
]);

function viaFetch(request: Request, url: URL): Promise<Response> {
  return fetch(upstream + url.pathname + url.search, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  }).then((answer) =>
    new Response(answer.body, { status: answer.status, headers: answer.headers })
  );
}

const http1 = createHttp1Client();
// No signal of the request's: reading `request.signal` makes Deno abort it with a DOMException
// after every answer (8 % of this proxy's CPU); `apigw serve` has its own deadline instead.
const never = new AbortController().signal;
function viaHttp1(request: Request, url: URL): Promise<Response> {
  const headers = new Map<string, string>();
  for (const [name, value] of request.headers) if (!DROPPED.has(name)) headers.set(name, value);
  const length = request.headers.get("content-length");
  return http1.request(
    { hostname: origin.hostname, port: Number(origin.port) },
    {
      method: request.method,
      target: url.pathname + url.search,
      headers,
      body: request.body,
      ...(length !== null ? { contentLength: Number(length) } : {}),
      signal: never,
      dropResponseHeaders: DROPPED_RESPONSE_HEADERS,
    },
  );
}

const forward = client === "http1" ? viaHttp1 : viaFetch;
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  (request) => forward(request, new URL(request.url)),
);
console.log(JSON.stringify({ port: server.addr.port }));
await server.finished;
http1.close();
