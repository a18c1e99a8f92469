/**
 * Spans reach a real OpenTelemetry Collector (tests/otel/build.ts: OTLP receiver + file
 * exporter). apigw runs as its own process with `OTEL_DENO=true`, so Deno's own SDK exports
 * (OTLP/HTTP protobuf, Deno's default). Requests carry the caller's context: a W3C
 * `traceparent` (Deno's server span continues it; apigw's span nests under that) or Envoy's B3
 * headers on ext_authz (apigw continues them itself). One authz case runs with apigw owning the
 * server span instead (`OTEL_DENO_TRACING=false`, docs/tracing.md). The tests read the
 * collector's file.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { apiRule as authzRule, GATEWAY } from "../../core/authz/_testing.ts";
import { http1 } from "../authz/http1.ts";
import { poll } from "../poll.ts";
import { apiRule, rawRequest, upstreamService } from "../serve/_gateway.ts";
import { startRawUpstream } from "../serve/_raw_upstream.ts";
import { attribute, ids, type OtlpSpan, startApigw, startCollector } from "./_collector.ts";
import { cachedCollector } from "./build.ts";

const collectorBinary = await cachedCollector();
const ignore = collectorBinary === undefined;
const HOST = "orders.local.kyma.dev";
const REDIS_URL = Deno.env.get("APIGW_TEST_REDIS_URL");

/** The environment that turns Deno's exporter (and apigw's spans) on. */
function otelEnv(endpoint: string, service: string): Record<string, string> {
  return {
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: service,
    // Deno's default sampler is always_on (it ignores the caller's flag); the standard
    // variable makes it parent-based, as apigw's own spans are.
    OTEL_TRACES_SAMPLER: "parentbased_always_on",
  };
}

/** The one span named `name` in `trace`. */
function only(spans: OtlpSpan[], trace: string, name: string): OtlpSpan {
  const matching = spans.filter((s) => s.traceId === trace && s.name === name);
  assert.equal(matching.length, 1, `one ${name} span in ${trace}`);
  return matching[0]!;
}

Deno.test({
  name: "apigw authz: the collector gets the check spans under the caller's trace",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "apigw-otel-" });
    await using stack = new AsyncDisposableStack();
    stack.defer(() => Deno.remove(dir, { recursive: true }));
    const collector = stack.use(await startCollector(collectorBinary!, dir));
    await Deno.mkdir(`${dir}/rules`);
    const jwt = { authentications: [{ issuer: "https://idp", jwksUri: "https://idp/jwks" }] };
    await Deno.writeTextFile(
      `${dir}/rules/rules.yaml`,
      [GATEWAY, authzRule("orders", [{ path: "/public", noAuth: true }, { path: "/admin", jwt }])]
        .map((o) => stringify(o)).join("---\n"),
    );
    const authz = await startApigw(
      [
        "authz",
        "--config",
        `${dir}/rules`,
        "--listen",
        "127.0.0.1:0",
        "--management-listen",
        "127.0.0.1:0",
      ],
      otelEnv(collector.endpoint, "apigw-authz"),
      "Serving ext_authz",
    );
    stack.defer(async () => {
      await authz.stop();
    });
    const url = `http://${authz.started.listen ?? ""}`;
    await poll(
      async () =>
        (await http1(`http://${authz.started.management ?? ""}`, "/readyz")).status === 200 ||
        undefined,
      { what: "/readyz" },
    );

    const allowed = ids();
    const denied = ids();
    const b3 = ids();
    const unsampled = ids();
    const checks: [string, Record<string, string>, number][] = [
      ["/public", { traceparent: `00-${allowed.trace}-${allowed.span}-01` }, 200],
      ["/admin", { traceparent: `00-${denied.trace}-${denied.span}-01` }, 401],
      ["/public", { "x-b3-traceid": b3.trace, "x-b3-spanid": b3.span, "x-b3-sampled": "1" }, 200],
      ["/public", { traceparent: `00-${unsampled.trace}-${unsampled.span}-00` }, 200],
    ];
    for (const [path, headers, status] of checks) {
      const response = await http1(url, path, { headers: { host: HOST, ...headers } });
      assert.equal(response.status, status, path);
    }
    // Deno flushes its exporter when the process ends.
    assert.equal(await authz.stop(), 0);

    const spans = await poll(async () => {
      const found = await collector.spans();
      const complete = [allowed, denied, b3].every((ids) =>
        found.some((s) => s.traceId === ids.trace && s.name === "apigw.authz.check")
      );
      return complete ? found : undefined;
    }, { what: "the check spans in the collector's file", timeoutMs: 20_000 });

    const allowedCheck = only(spans, allowed.trace, "apigw.authz.check");
    assert.equal(attribute(allowedCheck, "apigw.decision"), "allow");
    assert.equal(attribute(allowedCheck, "apigw.reason"), "no_auth");
    assert.equal(attribute(allowedCheck, "apigw.rule"), "default/orders#0");
    assert.equal(allowedCheck.kind, 1, "internal under Deno's server span");
    // apigw's span nests under Deno's server span, which continues the caller's span.
    const server = spans.find((s) => s.spanId === allowedCheck.parentSpanId);
    assert.ok(server !== undefined, "Deno's server span is exported");
    assert.equal(server.traceId, allowed.trace);
    assert.equal(server.parentSpanId, allowed.span);

    const deniedCheck = only(spans, denied.trace, "apigw.authz.check");
    assert.equal(attribute(deniedCheck, "apigw.decision"), "deny");
    assert.equal(attribute(deniedCheck, "apigw.reason"), "missing_token");
    assert.equal(attribute(deniedCheck, "apigw.step"), "authenticate");
    assert.equal(attribute(deniedCheck, "apigw.rule"), "default/orders#1");

    const b3Check = only(spans, b3.trace, "apigw.authz.check");
    assert.equal(b3Check.parentSpanId, b3.span);
    assert.equal(b3Check.kind, 2, "the server span of the B3 caller's trace");
    assert.equal(attribute(b3Check, "apigw.reason"), "no_auth");
    assert.equal(b3Check.links?.length, 1, "linked to Deno's server span");

    assert.equal(spans.filter((s) => s.traceId === unsampled.trace).length, 0);
    assert.equal(await collector.logRecords(), 0, "log export is off");
  },
});

Deno.test({
  name: "apigw authz owning the server span: the collector gets the check as the server span",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "apigw-otel-" });
    await using stack = new AsyncDisposableStack();
    stack.defer(() => Deno.remove(dir, { recursive: true }));
    const collector = stack.use(await startCollector(collectorBinary!, dir));
    await Deno.mkdir(`${dir}/rules`);
    await Deno.writeTextFile(
      `${dir}/rules/rules.yaml`,
      [GATEWAY, authzRule("orders", [{ path: "/public", noAuth: true }])]
        .map((o) => stringify(o)).join("---\n"),
    );
    const authz = await startApigw(
      [
        "authz",
        "--config",
        `${dir}/rules`,
        "--listen",
        "127.0.0.1:0",
        "--management-listen",
        "127.0.0.1:0",
      ],
      {
        ...otelEnv(collector.endpoint, "apigw-authz"),
        // docs/tracing.md's recommendation (the image's defaults).
        OTEL_DENO_TRACING: "false",
        OTEL_DENO_METRICS: "false",
      },
      "Serving ext_authz",
    );
    stack.defer(async () => {
      await authz.stop();
    });
    const url = `http://${authz.started.listen ?? ""}`;
    const sampled = ids();
    const b3 = ids();
    const unsampled = ids();
    const checks: Record<string, string>[] = [
      { traceparent: `00-${sampled.trace}-${sampled.span}-01` },
      { "x-b3-traceid": b3.trace, "x-b3-spanid": b3.span, "x-b3-sampled": "1" },
      { traceparent: `00-${unsampled.trace}-${unsampled.span}-00` },
    ];
    for (const headers of checks) {
      const response = await http1(url, "/public", { headers: { host: HOST, ...headers } });
      assert.equal(response.status, 200);
    }
    assert.equal(await authz.stop(), 0);

    const spans = await poll(async () => {
      const found = await collector.spans();
      return [sampled, b3].every((ids) => found.some((s) => s.traceId === ids.trace))
        ? found
        : undefined;
    }, { what: "the check spans in the collector's file", timeoutMs: 20_000 });
    for (const caller of [sampled, b3]) {
      const check = only(spans, caller.trace, "apigw.authz.check");
      assert.equal(check.kind, 2, "the server span");
      assert.equal(check.parentSpanId, caller.span);
      assert.equal(attribute(check, "apigw.decision"), "allow");
      assert.equal(check.links?.length ?? 0, 0, "no Deno server span to link to");
    }
    assert.equal(spans.length, 2, "no span of Deno's");
    assert.equal(spans.filter((s) => s.traceId === unsampled.trace).length, 0);
    assert.equal(await collector.logRecords(), 0, "log export is off");
  },
});

Deno.test({
  name: "apigw serve: request, upstream (traceparent on apigw's client) and Redis batch spans",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "apigw-otel-" });
    await using stack = new AsyncDisposableStack();
    stack.defer(() => Deno.remove(dir, { recursive: true }));
    const collector = stack.use(await startCollector(collectorBinary!, dir));
    const upstream = stack.use(startRawUpstream());
    await Deno.mkdir(`${dir}/config`);
    const jwt = { authentications: [{ issuer: "https://idp", jwksUri: "https://idp/jwks" }] };
    const files: Record<string, string> = {
      "service.json": upstreamService(upstream.port),
      "api.json": apiRule("api", { host: "api.test", port: upstream.port }, [
        { path: "/public/{**}", methods: ["GET"], noAuth: true },
        { path: "/private/{**}", methods: ["GET"], jwt },
      ]),
    };
    if (REDIS_URL !== undefined) files["limit.json"] = rateLimit();
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/config/${name}`, text);
    }
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
        ...(REDIS_URL !== undefined ? ["--redis-url", REDIS_URL] : []),
      ],
      otelEnv(collector.endpoint, "apigw-serve"),
      "Serving gateway",
    );
    stack.defer(async () => {
      await gateway.stop();
    });
    const port = Number(/:(\d+)$/.exec(gateway.started.listen ?? "")![1]);
    const send = (path: string, caller: { trace: string; span: string }) =>
      rawRequest(
        port,
        `GET ${path} HTTP/1.1\r\nHost: api.test\r\ntraceparent: 00-${caller.trace}-${caller.span}-01\r\nConnection: close\r\n\r\n`,
      );

    const allowed = ids();
    const denied = ids();
    assert.equal((await send("/public/a", allowed)).status, 200);
    assert.equal((await send("/private/a", denied)).status, 401);
    // Concurrent checks share batched Redis calls.
    const concurrent = Array.from({ length: 6 }, () => ids());
    if (REDIS_URL !== undefined) {
      const answers = await Promise.all(concurrent.map((c) => send("/public/b", c)));
      assert.deepEqual(answers.map((a) => a.status), concurrent.map(() => 200));
    }
    assert.equal(await gateway.stop(), 0);

    const spans = await poll(async () => {
      const found = await collector.spans();
      const complete = [allowed, denied].every((ids) =>
        found.some((s) => s.traceId === ids.trace && s.name === "apigw.gateway.request")
      );
      return complete ? found : undefined;
    }, { what: "the gateway spans in the collector's file", timeoutMs: 20_000 });

    const request = only(spans, allowed.trace, "apigw.gateway.request");
    assert.equal(attribute(request, "apigw.decision"), "allow");
    assert.equal(attribute(request, "apigw.reason"), "no_auth");
    assert.equal(attribute(request, "apigw.rule"), "test/api#0");
    const server = spans.find((s) => s.spanId === request.parentSpanId);
    assert.equal(server?.parentSpanId, allowed.span, "under Deno's server span");
    const call = only(spans, allowed.trace, "apigw.upstream");
    assert.equal(call.parentSpanId, request.spanId);
    assert.equal(attribute(call, "apigw.upstream.outcome"), "forwarded");
    // apigw's HTTP/1.1 client is not traced by Deno: the upstream sees apigw's span as parent.
    const head = upstream.requests.find((r) => r.target === "/public/a")?.head ?? "";
    assert.match(head, new RegExp(`^traceparent: 00-${allowed.trace}-${call.spanId}-01\r?$`, "im"));

    const deny = only(spans, denied.trace, "apigw.gateway.request");
    assert.equal(attribute(deny, "apigw.decision"), "deny");
    assert.equal(attribute(deny, "apigw.reason"), "missing_token");
    assert.equal(attribute(deny, "apigw.step"), "authenticate");
    assert.equal(
      spans.filter((s) => s.traceId === denied.trace && s.name === "apigw.upstream")
        .length,
      0,
    );

    if (REDIS_URL === undefined) return; // The Redis part runs under `deno task test`.
    assert.equal(attribute(request, "apigw.ratelimit.bucket"), "test/per-ip/default");
    const batches = spans.filter((s) => s.name === "apigw.redis.take_tokens");
    for (const caller of [allowed, ...concurrent]) {
      const requestSpan = only(spans, caller.trace, "apigw.gateway.request");
      const served = batches.filter((b) =>
        b.links?.some((l) => l.traceId === caller.trace && l.spanId === requestSpan.spanId)
      );
      assert.equal(served.length, 1, `one Redis call linked to the request of ${caller.trace}`);
    }
  },
});

function rateLimit(): string {
  return JSON.stringify({
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name: "per-ip", namespace: "test" },
    spec: {
      selectorLabels: { app: "upstream" },
      local: { defaultBucket: { maxTokens: 1000, tokensPerFill: 1000, fillInterval: "1s" } },
      global: {
        key: { clientAddress: { trustedHops: 0 } },
        defaultBucket: { maxTokens: 1000, tokensPerFill: 1000, fillInterval: "1s" },
      },
    },
  });
}
