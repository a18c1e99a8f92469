/** The baseline of the authz benchmark: a bare `Deno.serve` that answers 200 to everything. */
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  () => new Response(null),
);
console.log(JSON.stringify({ port: server.addr.port }));
await server.finished;
