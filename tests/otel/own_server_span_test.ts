/**
 * apigw owning the server span (`OTEL_DENO=true OTEL_DENO_TRACING=false`, docs/tracing.md):
 * a real `apigw authz` process exports through Deno's own exporter (kept up by its console
 * capture) to an OTLP/HTTP JSON receiver in this test. The check span is the server span, under
 * the caller's `traceparent` or a root; Deno traces nothing itself (no `deno` scope, no
 * metrics), so `Deno.serve` keeps its fast path. `apigw serve`'s request span is the server span
 * the same way, with the upstream call under it.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { apiRule, GATEWAY } from "../../core/authz/_testing.ts";
import { http1 } from "../authz/http1.ts";
import { poll } from "../poll.ts";
import { apiRule as gatewayRule, rawRequest, upstreamService } from "../serve/_gateway.ts";
import { startRawUpstream } from "../serve/_raw_upstream.ts";
import { attribute, ids, type OtlpSpan, startApigw } from "./_collector.ts";

const HOST = "orders.local.kyma.dev";

interface Received {
  paths: string[];
  spans: (OtlpSpan & { scope: string })[];
  logBodies: unknown[];
}

/** An OTLP/HTTP JSON receiver that keeps what it gets. */
function receiver(received: Received): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    const body = await request.json();
    received.paths.push(path);
    for (const resource of body.resourceSpans ?? []) {
      for (const scoped of resource.scopeSpans ?? []) {
        for (const span of scoped.spans ?? []) {
          received.spans.push({ ...span, scope: scoped.scope?.name ?? "" });
        }
      }
    }
    for (const resource of body.resourceLogs ?? []) {
      for (const scoped of resource.scopeLogs ?? []) {
        for (const record of scoped.logRecords ?? []) received.logBodies.push(record.body);
      }
    }
    return Response.json({});
  });
}

/** The environment of apigw owning the server span, exporting JSON to `port`. */
function ownEnv(port: number): Record<string, string> {
  return {
    OTEL_DENO: "true",
    OTEL_DENO_TRACING: "false",
    OTEL_DENO_METRICS: "false",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_TRACES_SAMPLER: "parentbased_always_on",
  };
}

Deno.test("apigw owning the server span: Deno's exporter gets apigw's server spans and nothing of Deno's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apigw-otel-own-" });
  await using stack = new AsyncDisposableStack();
  stack.defer(() => Deno.remove(dir, { recursive: true }));
  const received: Received = { paths: [], spans: [], logBodies: [] };
  const sink = receiver(received);
  stack.defer(() => sink.shutdown());
  await Deno.writeTextFile(
    `${dir}/rules.yaml`,
    [GATEWAY, apiRule("orders", [{ path: "/public", noAuth: true }])]
      .map((o) => stringify(o)).join("---\n"),
  );
  const authz = await startApigw(
    [
      "authz",
      "--config",
      dir,
      "--listen",
      "127.0.0.1:0",
      "--management-listen",
      "127.0.0.1:0",
    ],
    ownEnv(sink.addr.port),
    "Serving ext_authz",
  );
  stack.defer(async () => {
    await authz.stop();
  });
  const url = `http://${authz.started.listen ?? ""}`;
  const sampled = ids();
  const unsampled = ids();
  for (
    const headers of [
      { traceparent: `00-${sampled.trace}-${sampled.span}-01` },
      { traceparent: `00-${unsampled.trace}-${unsampled.span}-00` },
      {},
    ]
  ) {
    const response = await http1(url, "/public", { headers: { host: HOST, ...headers } });
    assert.equal(response.status, 200);
  }
  // Deno flushes its exporter when the process ends.
  assert.equal(await authz.stop(), 0);
  const spans = await poll(
    () => received.spans.length >= 2 ? received.spans : undefined,
    { what: "two exported spans", timeoutMs: 20_000 },
  );

  assert.deepEqual(spans.map((s) => [s.scope, s.name, s.kind]), [
    ["apigw", "apigw.authz.check", 2],
    ["apigw", "apigw.authz.check", 2],
  ], "two server spans of apigw's and none of Deno's (no deno.serve span, no fetch span)");
  const [continued, root] = spans.find((s) => s.traceId === sampled.trace) === spans[0]
    ? [spans[0]!, spans[1]!]
    : [spans[1]!, spans[0]!];
  assert.equal(continued.traceId, sampled.trace);
  assert.equal(continued.parentSpanId, sampled.span);
  assert.equal(attribute(continued, "apigw.decision"), "allow");
  assert.ok(!root.parentSpanId, "a request without context is a root");
  assert.notEqual(root.traceId, unsampled.trace, "the unsampled caller's check built nothing");
  assert.ok(!received.paths.includes("/v1/metrics"), "Deno's HTTP metrics are off");
  assert.deepEqual(received.logBodies, [], "apigw writes no console output to capture");
});

Deno.test("apigw owning the server span: apigw serve's request span is the server span, the upstream call its child", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apigw-otel-own-" });
  await using stack = new AsyncDisposableStack();
  stack.defer(() => Deno.remove(dir, { recursive: true }));
  const received: Received = { paths: [], spans: [], logBodies: [] };
  const sink = receiver(received);
  stack.defer(() => sink.shutdown());
  const upstream = stack.use(startRawUpstream());
  await Deno.mkdir(`${dir}/config`);
  await Deno.writeTextFile(`${dir}/config/service.json`, upstreamService(upstream.port));
  await Deno.writeTextFile(
    `${dir}/config/api.json`,
    gatewayRule("api", { host: "api.test", port: upstream.port }, [
      { path: "/public/{**}", methods: ["GET"], noAuth: true },
    ]),
  );
  const gateway = await startApigw(
    [
      "serve",
      "--config",
      `${dir}/config`,
      "--listen",
      "127.0.0.1:0",
      "--management-listen",
      "127.0.0.1:0",
      "--state-dir",
      `${dir}/state`,
      "--upstream-client",
      "http1",
    ],
    ownEnv(sink.addr.port),
    "Serving gateway",
  );
  stack.defer(async () => {
    await gateway.stop();
  });
  const port = Number(/:(\d+)$/.exec(gateway.started.listen ?? "")![1]);
  const caller = ids();
  const answer = await rawRequest(
    port,
    `GET /public/a HTTP/1.1\r\nHost: api.test\r\ntraceparent: 00-${caller.trace}-${caller.span}-01\r\nConnection: close\r\n\r\n`,
  );
  assert.equal(answer.status, 200);
  assert.equal(await gateway.stop(), 0);
  const spans = await poll(
    () => received.spans.length >= 2 ? received.spans : undefined,
    { what: "the request and upstream spans", timeoutMs: 20_000 },
  );
  const request = spans.find((s) => s.name === "apigw.gateway.request");
  const call = spans.find((s) => s.name === "apigw.upstream");
  assert.ok(request !== undefined && call !== undefined, JSON.stringify(spans));
  assert.equal(request.kind, 2, "the server span");
  assert.equal(request.traceId, caller.trace);
  assert.equal(request.parentSpanId, caller.span);
  assert.equal(attribute(request, "apigw.decision"), "allow");
  assert.equal(call.parentSpanId, request.spanId);
  assert.ok(spans.every((s) => s.scope === "apigw"), "no span of Deno's");
  const head = upstream.requests.find((r) => r.target === "/public/a")?.head ?? "";
  assert.match(head, new RegExp(`^traceparent: 00-${caller.trace}-${call.spanId}-01\r?$`, "im"));
});
