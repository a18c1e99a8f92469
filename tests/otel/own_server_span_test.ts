/**
 * apigw owning the server span (`OTEL_DENO=true OTEL_DENO_TRACING=false`, docs/tracing.md):
 * a real `apigw authz` process exports through Deno's own exporter (kept up by its console
 * capture) to an OTLP/HTTP JSON receiver in this test. The check span is the server span, under
 * the caller's `traceparent` or a root; Deno traces nothing itself (no `deno` scope, no
 * metrics), so `Deno.serve` keeps its fast path.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { apiRule, GATEWAY } from "../../core/authz/_testing.ts";
import { http1 } from "../authz/http1.ts";
import { poll } from "../poll.ts";
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
    {
      OTEL_DENO: "true",
      OTEL_DENO_TRACING: "false",
      OTEL_DENO_METRICS: "false",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.addr.port}`,
      OTEL_TRACES_SAMPLER: "parentbased_always_on",
    },
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
