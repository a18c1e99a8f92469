/**
 * The quickstart's demo upstream, served by `apigw serve --demo-upstream`: it answers every
 * request with what it received (method, path, query, headers) as JSON, streams a request body
 * back, and publishes the dev key's JWKS at `/.well-known/jwks.json`.
 */
import type { JWK } from "jose";

/** The echo handler; `jwks` are the keys published for the example's jwt rule. */
export function createEcho(jwks: readonly JWK[]): (request: Request) => Response {
  const keys = JSON.stringify({ keys: jwks });
  return function echo(request) {
    const url = new URL(request.url);
    if (url.pathname === "/.well-known/jwks.json") {
      return new Response(keys, { headers: { "content-type": "application/jwk-set+json" } });
    }
    if (request.body !== null && request.method !== "GET" && request.method !== "HEAD") {
      return new Response(request.body, {
        headers: {
          "content-type": request.headers.get("content-type") ?? "application/octet-stream",
        },
      });
    }
    const body = {
      method: request.method,
      path: url.pathname,
      query: url.search,
      headers: Object.fromEntries(request.headers),
    };
    return Response.json(body);
  };
}
