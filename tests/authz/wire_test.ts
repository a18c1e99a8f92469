/**
 * The ext_authz contract on the wire: a real `Deno.serve` with the app and raw HTTP/1.1 bytes,
 * because `fetch` and `new Request()` would normalise exactly what these cases send (§8).
 */
import assert from "node:assert/strict";
import { apiRule } from "../../core/authz/_testing.ts";
import { testApp } from "../../proxy/_testing.ts";
import { startIdp } from "./idp.ts";

async function raw(port: number, text: string): Promise<{ status: number; head: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new Uint8Array([...text].map((c) => c.charCodeAt(0))));
    let response = "";
    const buffer = new Uint8Array(8192);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      response += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const head = response.split("\r\n\r\n")[0] ?? "";
    return { status: Number(head.split(" ")[1]), head };
  } finally {
    conn.close();
  }
}

Deno.test("apigw authz on the wire answers raw check requests (DP-CANON-1, DP-AUTHZ-1..4, §8)", async (t) => {
  await using idp = await startIdp();
  await using app = testApp([apiRule("orders", [
    { path: "/public/{**}", methods: ["GET"], noAuth: true },
    {
      path: "/admin",
      methods: ["GET"],
      jwt: { authentications: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }] },
    },
  ])]);
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => app.fetch(request),
  );
  const token = await idp.sign();
  const host = "Host: orders.local.kyma.dev\r\nConnection: close\r\n";
  const cases: { name: string; request: string; status: number; reason?: string }[] = [
    { name: "allowed path", request: `GET /public/a HTTP/1.1\r\n${host}\r\n`, status: 200 },
    {
      name: "§8-16 %2e%2e traversal lands on /admin",
      request: `GET /public/%2e%2e/admin HTTP/1.1\r\n${host}\r\n`,
      status: 401,
      reason: "missing_token",
    },
    {
      name: "§8-15 /public/../admin lands on /admin",
      request: `GET /public/../admin HTTP/1.1\r\n${host}\r\n`,
      status: 401,
      reason: "missing_token",
    },
    {
      name: "§8-15 //public is not /public",
      request: `GET //public/a HTTP/1.1\r\n${host}\r\n`,
      status: 404,
      reason: "no_rule_matched",
    },
    {
      name: "§8-17 backslash traversal",
      request: `GET /public\\..\\admin HTTP/1.1\r\n${host}\r\n`,
      status: 401,
      reason: "missing_token",
    },
    {
      name: "§8-17 %2F is refused",
      request: `GET /public/..%2Fadmin HTTP/1.1\r\n${host}\r\n`,
      status: 400,
      reason: "escaped_slash",
    },
    {
      name: "§8-18 %00 is refused",
      request: `GET /public/a%00 HTTP/1.1\r\n${host}\r\n`,
      status: 400,
      reason: "invalid_path",
    },
    {
      name: "§8-24 lower-case method",
      request: `get /public/a HTTP/1.1\r\n${host}\r\n`,
      status: 400,
      reason: "invalid_method",
    },
    {
      name: "§8-24 method override is ignored",
      request:
        `POST /public/a HTTP/1.1\r\nX-HTTP-Method-Override: GET\r\nContent-Length: 0\r\n${host}\r\n`,
      status: 404,
      reason: "no_rule_matched",
    },
    {
      name: "§8-23 absolute form naming another host",
      request: `GET http://evil.example.com/public/a HTTP/1.1\r\n${host}\r\n`,
      status: 400,
      reason: "host_mismatch",
    },
    {
      name: "§8-23 absolute form naming the same host",
      request: `GET http://orders.local.kyma.dev/public/a HTTP/1.1\r\n${host}\r\n`,
      status: 200,
    },
    {
      name: "§8-23 OPTIONS *",
      request: `OPTIONS * HTTP/1.1\r\n${host}\r\n`,
      status: 404,
      reason: "no_rule_matched",
    },
    {
      name: "§8-23 CONNECT is denied without a rule",
      request:
        `CONNECT orders.local.kyma.dev:443 HTTP/1.1\r\nHost: orders.local.kyma.dev:443\r\nConnection: close\r\n\r\n`,
      status: 404,
      reason: "no_rule_matched",
    },
    {
      name: "§8-22 a fragment is refused",
      request: `GET /public/a#x HTTP/1.1\r\n${host}\r\n`,
      status: 400,
      reason: "invalid_path",
    },
    {
      name: "§8-20 host case, trailing dot and port",
      request:
        `GET /public/a HTTP/1.1\r\nHost: ORDERS.local.kyma.dev.:443\r\nConnection: close\r\n\r\n`,
      status: 200,
    },
    {
      name: "missing Host",
      request: `GET /public/a HTTP/1.0\r\n\r\n`,
      status: 400,
      reason: "missing_host",
    },
    {
      name: "DP-AUTHZ-2 a body is refused",
      request: `GET /public/a HTTP/1.1\r\nContent-Length: 5\r\n${host}\r\nhello`,
      status: 413,
      reason: "body_not_expected",
    },
    {
      name: "DP-AUTHZ-4 repeated Authorization lines",
      request:
        `GET /admin HTTP/1.1\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer ${token}\r\n${host}\r\n`,
      status: 401,
      reason: "ambiguous_token",
    },
    {
      name: "§8-25 non-UTF-8 bytes in the token",
      request: `GET /admin HTTP/1.1\r\nAuthorization: Bearer ${token.slice(0, 20)}\u00ff${
        token.slice(21)
      }\r\n${host}\r\n`,
      status: 401,
      reason: "malformed_token",
    },
    {
      name: "a valid token",
      request: `GET /admin HTTP/1.1\r\nAuthorization: Bearer ${token}\r\n${host}\r\n`,
      status: 200,
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, async () => {
      const { status, head } = await raw(server.addr.port, tc.request);
      assert.equal(status, tc.status, head);
      if (tc.reason !== undefined) assert.match(head, new RegExp(`reason=${tc.reason}`));
    });
  }
});
