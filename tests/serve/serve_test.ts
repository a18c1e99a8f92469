/**
 * `apigw serve` end to end through real sockets: each rule type, CORS, forwarding headers,
 * timeouts, upstream down, missing Services, other APIRule versions, size caps, metrics.
 */
import assert from "node:assert/strict";
import { freePort } from "../cluster/_ports.ts";
import { apiRule, jwtBlock, startGateway, startUpstream, upstreamService } from "./_gateway.ts";

const CORS = {
  allowOrigins: [{ exact: "https://app.test" }],
  allowMethods: ["GET", "POST"],
  allowHeaders: ["authorization"],
  exposeHeaders: ["x-upstream"],
  allowCredentials: true,
  maxAge: 60,
};

function files(port: number, closedPort: number): Record<string, string> {
  return {
    "service.json": upstreamService(port),
    "down.yaml": [
      "apiVersion: v1",
      "kind: Service",
      "metadata: {name: down, namespace: test}",
      `spec: {type: ExternalName, externalName: 127.0.0.1, ports: [{port: ${closedPort}}]}`,
      "---",
      "apiVersion: gateway.kyma-project.io/v2",
      "kind: APIRule",
      "metadata: {name: down, namespace: test}",
      "spec:",
      "  gateway: kyma-system/kyma-gateway",
      "  hosts: [down.test]",
      `  service: {name: down, port: ${closedPort}}`,
      "  rules: [{path: /*, methods: [GET], noAuth: true}]",
    ].join("\n"),
    "api.json": apiRule("api", { host: "api.test", port }, [
      {
        path: "/public/{**}",
        methods: ["GET", "POST", "OPTIONS"],
        noAuth: true,
        request: { headers: { "x-team": "blue" }, cookies: { b: "2", a: "1" } },
      },
      { path: "/private/{**}", methods: ["GET", "OPTIONS"], jwt: jwtBlock(port, ["read"]) },
      { path: "/ext", methods: ["GET"], extAuth: { authorizers: ["elsewhere"] } },
      { path: "/slow", methods: ["GET"], noAuth: true, timeout: 1 },
      { path: "/file.txt", methods: ["GET"], noAuth: true },
    ], { corsPolicy: CORS }),
    "missing.json": JSON.stringify({
      apiVersion: "gateway.kyma-project.io/v2",
      kind: "APIRule",
      metadata: { name: "missing", namespace: "test" },
      spec: {
        gateway: "kyma-system/kyma-gateway",
        hosts: ["missing.test"],
        service: { name: "nowhere", port: 80 },
        rules: [{ path: "/*", methods: ["GET"], noAuth: true }],
      },
    }),
    "legacy.yaml": [
      "apiVersion: gateway.kyma-project.io/v1beta1",
      "kind: APIRule",
      "metadata: {name: legacy, namespace: test}",
      "spec:",
      "  host: legacy.test",
      "  gateway: kyma-system/kyma-gateway",
      `  service: {name: upstream, port: ${port}}`,
      "  rules: [{path: /*, methods: [GET], accessStrategies: [{handler: no_auth}]}]",
    ].join("\n"),
  };
}

Deno.test("apigw serve routes, decides and forwards like the rendered config", async (t) => {
  await using upstream = await startUpstream();
  await using gateway = await startGateway(files(upstream.port, freePort()), {
    args: ["--max-body-bytes", "1Ki"],
  });
  const token = (scope?: string) =>
    upstream.key.sign(scope ? { sub: "alice", scope } : { sub: "alice" }, {
      ttlSeconds: 600,
      now: Date.now(),
    });

  await t.step(
    "noAuth forwards with the rule's headers, cookies and fresh forwarding headers",
    async () => {
      const response = await gateway.fetch("http://api.test/public/a?x=1", {
        headers: {
          "x-forwarded-host": "evil.test",
          "x-forwarded-for": "192.0.2.1",
          "x-forwarded-proto": "https",
          "x-request-id": "spoofed",
          "x-envoy-original-path": "/admin",
          cookie: "c=3",
        },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-upstream"), "yes");
      assert.equal(response.headers.get("access-control-allow-origin"), null, "stripped CORS");
      const body = await response.json();
      assert.equal(body.path, "/public/a");
      assert.equal(body.query, "?x=1");
      assert.equal(body.headers["x-team"], "blue");
      assert.equal(body.headers.cookie, "a=1; b=2");
      assert.equal(body.headers["x-forwarded-host"], "api.test");
      assert.equal(body.headers["x-forwarded-for"], "192.0.2.1, 127.0.0.1");
      assert.equal(body.headers["x-forwarded-proto"], "http");
      assert.equal(body.headers["x-envoy-original-path"], undefined);
      assert.notEqual(body.headers["x-request-id"], "spoofed");
      assert.match(body.headers.forwarded, /for=127\.0\.0\.1;host="api\.test";proto=http$/);
    },
  );

  await t.step("jwt: 401 without a token, 200 with one, 403 without the scope", async () => {
    const missing = await gateway.fetch("http://api.test/private/x");
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer realm="apigw"/);
    await missing.body?.cancel();
    const ok = await gateway.fetch("http://api.test/private/x", {
      headers: { authorization: `Bearer ${await token("read")}` },
    });
    assert.equal(ok.status, 200);
    assert.match((await ok.json()).headers.authorization, /^Bearer /, "original token forwarded");
    const scopeless = await gateway.fetch("http://api.test/private/x", {
      headers: { authorization: `Bearer ${await token()}` },
    });
    assert.equal(scopeless.status, 403);
    await scopeless.body?.cancel();
    const forged = await gateway.fetch("http://api.test/private/x", {
      headers: { authorization: `Bearer ${(await token("read")).slice(0, -4)}AAAA` },
    });
    assert.equal(forged.status, 401);
    await forged.body?.cancel();
  });

  await t.step(
    "extAuth without an authorizer here is 403; unmatched requests are 404",
    async () => {
      for (
        const [url, method, status] of [
          ["http://api.test/ext", "GET", 403],
          ["http://api.test/public/a", "DELETE", 404],
          ["http://api.test/fileXtxt", "GET", 404],
          ["http://api.test/file.txt", "GET", 200],
          ["http://other.test/public/a", "GET", 404],
          ["http://legacy.test/anything", "GET", 200],
          ["http://missing.test/", "GET", 404],
        ] as const
      ) {
        const response = await gateway.fetch(url, { method });
        assert.equal(response.status, status, `${method} ${url}`);
        await response.body?.cancel();
      }
    },
  );

  await t.step("an APIRule whose Service is missing is reported", () => {
    const events = gateway.logs.map((l) => JSON.parse(l));
    const report = events.find((e) => e.msg === "Not serving object" && /missing/.test(e.object));
    assert.equal(report?.object, "APIRule test/missing");
    assert.equal(report?.field, "spec.service");
    assert.match(report?.reason, /Service "test\/nowhere" is not in the config/);
  });

  await t.step("CORS preflight from an allowed origin is answered by the gateway", async () => {
    const before = upstream.seen.length;
    const preflight = await gateway.fetch("http://api.test/private/x", {
      method: "OPTIONS",
      headers: { origin: "https://app.test", "access-control-request-method": "GET" },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.test");
    assert.equal(preflight.headers.get("access-control-allow-methods"), "GET,POST");
    assert.equal(preflight.headers.get("access-control-allow-headers"), "authorization");
    assert.equal(preflight.headers.get("access-control-allow-credentials"), "true");
    assert.equal(preflight.headers.get("access-control-max-age"), "60");
    await preflight.body?.cancel();
    assert.equal(upstream.seen.length, before, "the upstream never saw the preflight");
    const foreign = await gateway.fetch("http://api.test/private/x", {
      method: "OPTIONS",
      headers: { origin: "https://evil.test", "access-control-request-method": "GET" },
    });
    assert.equal(foreign.status, 401, "a foreign preflight is an ordinary request");
    assert.equal(foreign.headers.get("access-control-allow-origin"), null);
    await foreign.body?.cancel();
    const actual = await gateway.fetch("http://api.test/public/x", {
      headers: { origin: "https://app.test" },
    });
    assert.equal(actual.headers.get("access-control-allow-origin"), "https://app.test");
    assert.equal(actual.headers.get("access-control-expose-headers"), "x-upstream");
    await actual.body?.cancel();
  });

  await t.step("a slow upstream is 504 after the rule timeout; a closed port is 502", async () => {
    const slow = await gateway.fetch("http://api.test/slow?delay=4000");
    assert.equal(slow.status, 504);
    assert.equal((await slow.json()).reason, "upstream_timeout");
    const down = await gateway.fetch("http://down.test/x");
    assert.equal(down.status, 502);
    assert.equal((await down.json()).reason, "upstream_unavailable");
  });

  await t.step("header and body size caps", async () => {
    const big = await gateway.fetch("http://api.test/public/x", {
      headers: { "x-big": "a".repeat(20 * 1024) },
    });
    assert.equal(big.status, 431);
    await big.body?.cancel();
    const declared = await gateway.fetch("http://api.test/public/x", {
      method: "POST",
      body: "a".repeat(2048),
    });
    assert.equal(declared.status, 413);
    await declared.body?.cancel();
    const streamed = await gateway.fetch("http://api.test/public/x", {
      method: "POST",
      body: ReadableStream.from([new Uint8Array(700), new Uint8Array(700)]),
    });
    assert.equal(streamed.status, 413);
    await streamed.body?.cancel();
    const fits = await gateway.fetch("http://api.test/public/x", {
      method: "POST",
      body: ReadableStream.from([new Uint8Array(300), new Uint8Array(300)]),
    });
    assert.equal(fits.status, 200);
    assert.equal(await fits.text(), "600", "streamed body arrived whole");
  });

  await t.step("/metrics on the management listener counts requests by rule", async () => {
    const response = await fetch(`http://127.0.0.1:${gateway.managementPort}/metrics`);
    const text = await response.text();
    assert.match(text, /apigw_gateway_requests_total\{rule="test\/api#0",code="200"\} \d+/);
    assert.match(text, /apigw_authz_decisions_total|apigw_jwks_fetches_total/);
  });

  await t.step("every request wrote one JSON access log line", () => {
    const served = gateway.logs.map((l) => JSON.parse(l)).filter((e) => e.msg === "Served request");
    assert.ok(served.length >= 20);
    assert.ok(served.every((e) => typeof e.status === "number" && typeof e.requestId === "string"));
    assert.ok(!gateway.logs.some((l) => /Bearer ey/.test(l)), "no token in the logs");
  });
});

Deno.test("apigw serve drains in-flight requests on shutdown", async () => {
  await using upstream = await startUpstream();
  const gateway = await startGateway({
    "service.json": upstreamService(upstream.port),
    "api.json": apiRule("api", { host: "api.test", port: upstream.port }, [
      { path: "/*", methods: ["GET"], noAuth: true },
    ]),
  });
  const inFlight = gateway.fetch("http://api.test/wait?delay=1500");
  // Shut down once the upstream has the request, i.e. while it is in flight.
  while (!upstream.seen.includes("/wait?delay=1500")) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const stopped = gateway.stop();
  const response = await inFlight;
  assert.equal(response.status, 200);
  assert.equal((await response.json()).path, "/wait");
  assert.equal(await stopped, 0);
  assert.ok(gateway.logs.some((l) => JSON.parse(l).msg === "Stopped gateway"));
});
