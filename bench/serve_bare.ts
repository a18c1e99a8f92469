/**
 * The naive peer of the gateway benchmark: a bare Deno reverse proxy, `Deno.serve` plus one
 * `fetch` per request to `UPSTREAM` (argument), body streamed back, no routing or checks.
 */
const upstream = Deno.args[0];
if (upstream === undefined) throw new TypeError("Usage: serve_bare.ts http://host:port");
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
  const url = new URL(request.url);
  const answer = await fetch(upstream + url.pathname + url.search, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
});
console.log(JSON.stringify({ port: server.addr.port }));
await server.finished;
