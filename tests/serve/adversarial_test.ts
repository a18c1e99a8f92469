/**
 * docs/spec/dataplane.md §8 through a real socket: raw request targets and spoofed headers that try to
 * reach the jwt-protected `/admin/{**}` without a token. Whatever the answer, the upstream must
 * never see an `/admin` path, and the gateway must never answer 5xx.
 */
import assert from "node:assert/strict";
import {
  apiRule,
  jwtBlock,
  rawRequest,
  startGateway,
  startUpstream,
  upstreamService,
} from "./_gateway.ts";

/** Request targets and the status each must get. */
const TARGETS: readonly [string, number][] = [
  ["/admin/x", 401],
  ["/public/../admin/x", 401],
  ["/public/./../admin/x", 401],
  ["/public/%2e%2e/admin/x", 401],
  ["/public/%2E%2e/admin/x", 401],
  ["/public/.%2e/admin/x", 401],
  ["/public/%2e./admin/x", 401],
  ["/%61dmin/x", 401],
  ["/public/%252e%252e/admin/x", 200],
  ["/public/..%2Fadmin/x", 400],
  ["/public%2F..%2Fadmin/x", 400],
  ["/public/..%5Cadmin/x", 400],
  ["/public\\..\\admin/x", 401],
  ["/public/..\\admin/x", 401],
  ["//admin/x", 404],
  ["/./admin/x", 401],
  ["/Admin/x", 404],
  ["/admin;/x", 404],
  ["/public/..;/admin/x", 200],
  ["/public/%00/../admin/x", 400],
  ["/public/%zz", 400],
  ["/public/%2", 400],
  ["/public/%C0%AF../admin/x", 400],
  ["/public/x/../../../../admin/x", 401],
  ["/../admin/x", 401],
  ["/public/%2e%2e%2fadmin/x", 400],
];

Deno.test("apigw serve: no path trick reaches a protected route unauthenticated", async (t) => {
  await using upstream = await startUpstream();
  await using gateway = await startGateway({
    "service.json": upstreamService(upstream.port),
    "api.json": apiRule("api", { host: "api.test", port: upstream.port }, [
      { path: "/public/{**}", methods: ["GET"], noAuth: true },
      { path: "/admin/{**}", methods: ["GET"], jwt: jwtBlock(upstream.port) },
    ]),
  });
  const send = (head: string) => rawRequest(gateway.port, head);

  await t.step("request targets", async () => {
    const wrong: string[] = [];
    for (const [target, status] of TARGETS) {
      const { status: got } = await send(
        `GET ${target} HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n`,
      );
      if (got !== status) wrong.push(`${target}: got ${got}, want ${status}`);
    }
    assert.deepEqual(wrong, []);
  });

  await t.step("spoofed routing headers and method overrides are ignored", async () => {
    for (
      const header of [
        "X-Original-URL: /admin/x",
        "X-Rewrite-URL: /admin/x",
        "X-Forwarded-Uri: /admin/x",
        "X-Envoy-Original-Path: /admin/x",
        "X-HTTP-Method-Override: DELETE",
        "X-Forwarded-Host: admin.test",
        "Forwarded: host=admin.test;proto=https",
      ]
    ) {
      const { status, text } = await send(
        `GET /public/x HTTP/1.1\r\nHost: api.test\r\n${header}\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(status, 200, header);
      assert.match(text, /"path":"\/public\/x"/);
    }
  });

  await t.step("absolute-form targets, odd methods and hosts", async () => {
    const cases: [string, number][] = [
      ["GET http://api.test/admin/x HTTP/1.1\r\nHost: api.test", 401],
      ["GET http://api.test/public/../admin/x HTTP/1.1\r\nHost: api.test", 401],
      ["GET http://other.test/public/x HTTP/1.1\r\nHost: api.test", 400],
      ["get /public/x HTTP/1.1\r\nHost: api.test", 400],
      ["HEAD /admin/x HTTP/1.1\r\nHost: api.test", 404],
      ["GET /admin/x HTTP/1.1\r\nHost: API.Test.", 401],
      ["GET /public/x HTTP/1.1\r\nHost: api.test:8080", 200],
    ];
    for (const [head, status] of cases) {
      const { status: got } = await send(`${head}\r\nConnection: close\r\n\r\n`);
      assert.equal(got, status, head.split("\r\n")[0] ?? head);
    }
  });

  await t.step("the upstream never saw an /admin path", () => {
    assert.ok(upstream.seen.length > 5);
    assert.deepEqual(upstream.seen.filter((p) => /^\/+admin/i.test(p)), []);
  });
});
