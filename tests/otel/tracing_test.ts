/**
 * lib/tracing.ts in-process: the settings the `OTEL_*` variables ask for, B3 extraction, and
 * the no-op path. A recording tracer provider (the OpenTelemetry API's extension point, which
 * Deno fills itself when `OTEL_DENO=true`) counts the spans apigw asks for while the production
 * check handler answers an allowed and a denied request: none when tracing is off, one each
 * with rule, step, reason and decision when it is on.
 */
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type ContextManager,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  trace,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import {
  configureTracing,
  extractB3,
  extractTraceparent,
  inSpan,
  traceparentOf,
  tracingOn,
  tracingSettingsFromEnv,
} from "../../lib/tracing.ts";
import { testApp } from "../../proxy/_testing.ts";
import { apiRule, jwtConfig } from "../../core/authz/_testing.ts";
import { apiRuleV1beta1, CLIENT, startIntrospection } from "../../proxy/oathkeeper/_testing.ts";
import { runController } from "../../controllers/controller.ts";
import { createOperatorMetrics } from "../../controllers/operator_metrics.ts";
import { WorkQueue } from "../../kube/queue.ts";
import { createLogger } from "../../lib/log.ts";
import { poll } from "../poll.ts";

interface Recorded {
  name: string;
  kind?: SpanKind;
  spanId: string;
  attributes: Attributes;
  links: Link[];
  ended: boolean;
  parent?: SpanContext;
}

/** Records every span it is asked for. */
class RecordingProvider implements TracerProvider {
  readonly spans: Recorded[] = [];
  /** Whether a span without a parent comes back sampled (Deno's sampler decides roots). */
  sampledRoots = true;
  getTracer(): Tracer {
    const spans = this.spans;
    const sampledRoots = () => this.sampledRoots;
    const start = (name: string, options: SpanOptions = {}, parent?: Context): Span => {
      const parentSpan = parent === undefined ? undefined : trace.getSpanContext(parent);
      const record: Recorded = {
        name,
        ...(options.kind !== undefined ? { kind: options.kind } : {}),
        spanId: (spans.length + 1).toString(16).padStart(16, "0"),
        attributes: { ...options.attributes },
        links: options.links ?? [],
        ended: false,
        ...(parentSpan !== undefined ? { parent: parentSpan } : {}),
      };
      spans.push(record);
      const context: SpanContext = {
        traceId: parentSpan?.traceId ?? "4bf92f3577b34da6a3ce929d0e0e4736",
        spanId: spans.length.toString(16).padStart(16, "0"),
        traceFlags: parentSpan !== undefined || sampledRoots() ? 1 : 0,
      };
      const span: Span = {
        spanContext: () => context,
        setAttribute(key: string, value: AttributeValue) {
          record.attributes[key] = value;
          return span;
        },
        setAttributes(attributes: Attributes) {
          Object.assign(record.attributes, attributes);
          return span;
        },
        addEvent: () => span,
        addLink: () => span,
        addLinks: () => span,
        setStatus: (_status: SpanStatus) => span,
        updateName: () => span,
        end() {
          record.ended = true;
        },
        isRecording: () => true,
        recordException: () => {},
      };
      return span;
    };
    return {
      startSpan: start,
      startActiveSpan: (() => {
        throw new Error("not used by apigw");
      }) as Tracer["startActiveSpan"],
    };
  }
}

const HOST = "orders.local.kyma.dev";
const RULES = [apiRule("orders", [
  { path: "/public/{**}", noAuth: true },
  { path: "/private/{**}", jwt: jwtConfig() },
], { host: HOST })];

/** The active context across awaits (Deno brings its own when `OTEL_DENO=true`). */
class StorageContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(context, () => fn.apply(thisArg, args));
  }
  bind<T>(_context: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

const provider = new RecordingProvider();
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new StorageContextManager());

/** Runs `fn` with tracing on (ratio 1) and returns the spans it asked for. */
async function traced(fn: () => Promise<void>): Promise<Recorded[]> {
  configureTracing({ enabled: true, ratio: 1 });
  provider.spans.length = 0;
  try {
    await fn();
  } finally {
    configureTracing({ enabled: false, ratio: 0 });
  }
  return [...provider.spans];
}

async function checkBoth(): Promise<void> {
  await using app = testApp(RULES, { authz: { debugHeader: false } });
  const allowed = await app.request("/public/a", { host: HOST });
  assert.equal(allowed.status, 200);
  await allowed.body?.cancel();
  const denied = await app.request("/private/a", { host: HOST });
  assert.equal(denied.status, 401);
  await denied.body?.cancel();
}

Deno.test("tracing off: checks build no span objects", async () => {
  configureTracing({ enabled: false, ratio: 0 });
  provider.spans.length = 0;
  await checkBoth();
  assert.equal(provider.spans.length, 0);
});

Deno.test("tracing on: one span per check with rule, step, reason and decision", async () => {
  configureTracing({ enabled: true, ratio: 1 });
  provider.spans.length = 0;
  try {
    await checkBoth();
  } finally {
    configureTracing({ enabled: false, ratio: 0 });
  }
  const checks = provider.spans.filter((s) => s.name === "apigw.authz.check");
  assert.equal(checks.length, 2);
  assert.ok(checks.every((s) => s.ended));
  assert.deepEqual(checks.map((s) => pick(s.attributes)), [
    {
      "apigw.decision": "allow",
      "apigw.reason": "no_auth",
      "apigw.step": "authorize",
      "apigw.rule": "default/orders#0",
    },
    {
      "apigw.decision": "deny",
      "apigw.reason": "missing_token",
      "apigw.step": "authenticate",
      "apigw.rule": "default/orders#1",
    },
  ]);
});

Deno.test("tracing on: a B3 context is the check's parent", async () => {
  configureTracing({ enabled: true, ratio: 1 });
  provider.spans.length = 0;
  try {
    await using app = testApp(RULES, { authz: { debugHeader: false } });
    const response = await app.request("/public/a", {
      host: HOST,
      headers: {
        "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7",
        "x-b3-spanid": "e457b5a2e4d86bd1",
        "x-b3-sampled": "1",
      },
    });
    assert.equal(response.status, 200);
    await response.body?.cancel();
  } finally {
    configureTracing({ enabled: false, ratio: 0 });
  }
  const [check] = provider.spans;
  assert.equal(check?.parent?.traceId, "80f198ee56343ba864fe8b2a57d3eff7");
  assert.equal(check?.parent?.spanId, "e457b5a2e4d86bd1");
});

Deno.test("tracing on, ratio 0: an unsampled root builds nothing", async () => {
  configureTracing({ enabled: true, ratio: 0 });
  provider.spans.length = 0;
  try {
    await checkBoth();
  } finally {
    configureTracing({ enabled: false, ratio: 0 });
  }
  assert.equal(provider.spans.length, 0);
});

function pick(attributes: Attributes): Attributes {
  const keys = ["apigw.decision", "apigw.reason", "apigw.step", "apigw.rule"];
  return Object.fromEntries(keys.map((k) => [k, attributes[k]]));
}

Deno.test("tracingSettingsFromEnv reads the standard variables", () => {
  const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
  const off = { enabled: false, ratio: 0 };
  const deno = { server: "deno", tracerSamples: true };
  assert.deepEqual(tracingSettingsFromEnv(env({})), off);
  assert.deepEqual(tracingSettingsFromEnv(env({ OTEL_DENO: "true" })), {
    enabled: true,
    ratio: 1,
    ...deno,
  });
  assert.deepEqual(
    tracingSettingsFromEnv(env({
      OTEL_DENO: "true",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.01",
    })),
    { enabled: true, ratio: 0.01, ...deno },
  );
  assert.deepEqual(
    tracingSettingsFromEnv(env({ OTEL_DENO: "true", OTEL_TRACES_SAMPLER: "always_off" })),
    off,
  );
  assert.deepEqual(
    tracingSettingsFromEnv(env({
      OTEL_DENO: "true",
      OTEL_TRACES_SAMPLER: "traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "not-a-number",
    })),
    { enabled: true, ratio: 1, ...deno },
  );
  // As Deno reads them: OTEL_SDK_DISABLED wins; OTEL_DENO_TRACING alone turns Deno's tracing on.
  assert.deepEqual(
    tracingSettingsFromEnv(env({ OTEL_DENO: "true", OTEL_SDK_DISABLED: "true" })),
    off,
  );
  assert.deepEqual(tracingSettingsFromEnv(env({ OTEL_DENO_TRACING: "true" })), {
    enabled: true,
    ratio: 1,
    ...deno,
  });
  // Deno's tracing off and its exporter up (console capture, OTEL_DENO's default): apigw owns
  // the server span.
  const own = { OTEL_DENO: "true", OTEL_DENO_TRACING: "false", OTEL_DENO_METRICS: "false" };
  assert.deepEqual(tracingSettingsFromEnv(env(own)), {
    enabled: true,
    ratio: 1,
    server: "apigw",
    tracerSamples: true,
  });
  // Nothing keeps Deno's exporter up (Deno's init skips it): nothing to export through.
  assert.deepEqual(tracingSettingsFromEnv(env({ ...own, OTEL_DENO_CONSOLE: "ignore" })), off);
  assert.deepEqual(tracingSettingsFromEnv(env({ OTEL_DENO_CONSOLE: "capture" })), off);
});

Deno.test("the image's default environment: tracing off, and apigw's server span with OTEL_DENO=true", async () => {
  const containerfile = await Deno.readTextFile(
    new URL("../../image/Containerfile", import.meta.url),
  );
  const block = /^ENV ((?:.*\\\n)*.*)$/m.exec(containerfile)?.[1] ?? "";
  const image = Object.fromEntries(
    [...block.matchAll(/([A-Z_]+)=(\S+)/g)].map(([, name, value]) => [name!, value!]),
  );
  assert.equal(image.OTEL_DENO_TRACING, "false");
  assert.equal(image.OTEL_DENO_METRICS, "false");
  const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
  assert.deepEqual(tracingSettingsFromEnv(env(image)), { enabled: false, ratio: 0 });
  assert.deepEqual(
    tracingSettingsFromEnv(env({
      ...image,
      OTEL_DENO: "true",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.01",
    })),
    { enabled: true, ratio: 0.01, server: "apigw", tracerSamples: true },
  );
});

Deno.test("apigw owning the server span without Deno's exporter: the first span turns tracing off", () => {
  // What a `deno compile`d binary built without the OTEL_DENO* switches does at run time.
  const failing: TracerProvider = {
    getTracer: () => ({
      startSpan: () => {
        throw new Error("otel not initialized");
      },
      startActiveSpan: (() => {
        throw new Error("not used by apigw");
      }) as Tracer["startActiveSpan"],
    }),
  };
  configureTracing({ enabled: true, ratio: 1, server: "apigw" }, {
    tracerProvider: failing,
    contextManager: new StorageContextManager(),
  });
  try {
    assert.ok(tracingOn());
    assert.equal(
      inSpan("apigw.authz.check", { root: true }, (span) => span ?? "no span"),
      "no span",
    );
    assert.ok(!tracingOn());
  } finally {
    configureTracing({ enabled: false, ratio: 0 });
  }
});

Deno.test("extractTraceparent reads W3C Trace Context and refuses malformed values", () => {
  const id = "4bf92f3577b34da6a3ce929d0e0e4736";
  assert.deepEqual(extractTraceparent(`00-${id}-00f067aa0ba902b7-01`), {
    traceId: id,
    spanId: "00f067aa0ba902b7",
    traceFlags: 1,
    isRemote: true,
  });
  assert.equal(extractTraceparent(`00-${id}-00f067aa0ba902b7-00`)?.traceFlags, 0);
  // A later version may append fields; version 00 may not.
  assert.equal(extractTraceparent(`01-${id}-00f067aa0ba902b7-01-extra`)?.traceFlags, 1);
  for (
    const bad of [
      null,
      "",
      `00-${id}-00f067aa0ba902b7-01-extra`,
      `ff-${id}-00f067aa0ba902b7-01`,
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      `00-${id}-${"0".repeat(16)}-01`,
      `00-${id.slice(1)}-00f067aa0ba902b7-01`,
      `00-${id.toUpperCase()}-00f067aa0ba902b7-01`,
    ]
  ) {
    assert.equal(extractTraceparent(bad), undefined, String(bad));
  }
});

Deno.test("apigw owning the server span: the check continues traceparent, B3, or is a root", async () => {
  const backend = { tracerProvider: provider, contextManager: new StorageContextManager() };
  configureTracing({ enabled: true, ratio: 1, server: "apigw" }, backend);
  provider.spans.length = 0;
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  try {
    await using app = testApp(RULES, { authz: { debugHeader: false } });
    for (
      const headers of [
        { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        { traceparent: `00-${traceId}-00f067aa0ba902b7-00` }, // unsampled caller: nothing built
        { "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7", "x-b3-spanid": "e457b5a2e4d86bd1" },
        {},
      ]
    ) {
      const response = await app.request("/public/a", { host: HOST, headers });
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
  } finally {
    configureTracing({ enabled: false, ratio: 0 });
  }
  assert.deepEqual(
    provider.spans.map((s) => [s.name, s.kind, s.parent?.traceId, s.parent?.spanId]),
    [
      ["apigw.authz.check", SpanKind.SERVER, traceId, "00f067aa0ba902b7"],
      [
        "apigw.authz.check",
        SpanKind.SERVER,
        "80f198ee56343ba864fe8b2a57d3eff7",
        "e457b5a2e4d86bd1",
      ],
      ["apigw.authz.check", SpanKind.SERVER, undefined, undefined],
    ],
  );
  assert.ok(provider.spans.every((s) => s.ended && s.attributes["apigw.decision"] === "allow"));
});

Deno.test("a tracer that samples roots itself decides them: apigw draws no ratio", async () => {
  const backend = { tracerProvider: provider, contextManager: new StorageContextManager() };
  provider.sampledRoots = false;
  // ratio 1 would sample every root if apigw drew it; the tracer says no.
  configureTracing({ enabled: true, ratio: 1, server: "apigw", tracerSamples: true }, backend);
  provider.spans.length = 0;
  try {
    await checkBoth();
  } finally {
    configureTracing({ enabled: false, ratio: 0 });
    provider.sampledRoots = true;
  }
  // The tracer was asked (its span decides), but the unsampled spans got nothing: no
  // attributes, not ended.
  assert.equal(provider.spans.length, 2);
  assert.ok(provider.spans.every((s) => !s.ended && s.attributes["apigw.decision"] === undefined));
});

Deno.test("extractB3 reads Envoy's headers and the single b3 header", () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  assert.deepEqual(
    extractB3(headers({
      "x-b3-traceid": "64fe8b2a57d3eff7",
      "x-b3-spanid": "e457b5a2e4d86bd1",
      "x-b3-sampled": "0",
    })),
    {
      traceId: "000000000000000064fe8b2a57d3eff7",
      spanId: "e457b5a2e4d86bd1",
      traceFlags: 0,
      isRemote: true,
    },
  );
  assert.equal(
    extractB3(headers({ b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1" }))?.traceFlags,
    1,
  );
  assert.equal(
    extractB3(headers({
      "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7",
      "x-b3-spanid": "e457b5a2e4d86bd1",
      "x-b3-flags": "1",
    }))?.traceFlags,
    1,
  );
  for (
    const bad of [
      {},
      { "x-b3-traceid": "xyz", "x-b3-spanid": "e457b5a2e4d86bd1" },
      { "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7" },
      { "x-b3-traceid": "00000000000000000000000000000000", "x-b3-spanid": "e457b5a2e4d86bd1" },
      { b3: "0" },
    ]
  ) {
    assert.equal(extractB3(headers(bad)), undefined, JSON.stringify(bad));
  }
});

Deno.test("traceparentOf names the span as the parent", () => {
  const span = trace.wrapSpanContext({
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceFlags: 1,
  });
  assert.equal(traceparentOf(span), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  assert.equal(trace.getSpanContext(ROOT_CONTEXT), undefined);
});

Deno.test("tracing on: a JWKS fetch is a child span of the check that waits for it", async () => {
  await using jwks = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ keys: [] }),
  );
  const jwksUri = `http://127.0.0.1:${jwks.addr.port}/jwks`;
  const rules = [apiRule("orders", [
    { path: "/private/{**}", jwt: jwtConfig([], { jwksUri }) },
  ], { host: HOST })];
  const spans = await traced(async () => {
    await using app = testApp(rules, { authz: { debugHeader: false } });
    const header = base64url({ alg: "RS256", kid: "k1", typ: "JWT" });
    const payload = base64url({
      iss: "https://issuer.example.com",
      sub: "a",
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    const response = await app.request("/private/a", {
      host: HOST,
      headers: { authorization: `Bearer ${header}.${payload}.c2ln` },
    });
    assert.equal(response.status, 401);
    await response.body?.cancel();
  });
  const check = spans.find((s) => s.name === "apigw.authz.check");
  const fetched = spans.find((s) => s.name === "apigw.jwks.fetch");
  assert.ok(check !== undefined && fetched !== undefined, JSON.stringify(spans));
  assert.equal(fetched.parent?.spanId, check.spanId);
  assert.equal(fetched.attributes["url.full"], jwksUri);
  assert.equal(fetched.attributes["apigw.jwks.outcome"], "ok");
  assert.ok(fetched.ended);
  assert.equal(check.attributes["apigw.reason"], "unknown_key");
});

Deno.test("tracing on: an introspection call is a child span of the check", async () => {
  await using endpoint = startIntrospection();
  endpoint.issue("tok", { scope: "read", sub: "alice", exp: Math.floor(Date.now() / 1000) + 60 });
  const rules = [apiRuleV1beta1("orders", [{
    path: "/read",
    accessStrategies: [{
      handler: "oauth2_introspection",
      config: {
        introspection_url: endpoint.url,
        client_auth: { client_id: CLIENT.id, client_secret: CLIENT.secret },
      },
    }],
  }])];
  const spans = await traced(async () => {
    await using app = testApp(rules);
    const response = await app.request("/read", { headers: { authorization: "Bearer tok" } });
    assert.equal(response.status, 200);
    await response.body?.cancel();
  });
  const check = spans.find((s) => s.name === "apigw.authz.check");
  const call = spans.find((s) => s.name === "apigw.introspection");
  assert.ok(check !== undefined && call !== undefined, JSON.stringify(spans));
  assert.equal(call.parent?.spanId, check.spanId);
  assert.equal(call.attributes["url.full"], endpoint.url);
  assert.equal(call.attributes["apigw.introspection.outcome"], "answered");
  assert.equal(check.attributes["apigw.reason"], "token_active");
});

Deno.test("tracing on: one span per reconcile with controller, key, outcome, objects applied", async () => {
  const queue = new WorkQueue({ baseDelayMs: 1_000, maxDelayMs: 1_000, qps: 100, burst: 100 });
  const metrics = createOperatorMetrics({
    queues: () => [],
    informers: () => [],
    owned: () => [],
    leader: () => true,
  });
  const object = (name: string) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "ns", uid: name, resourceVersion: "1" },
  });
  const spans = await traced(async () => {
    const stop = new AbortController();
    const running = runController(
      {
        name: "apirule",
        reconcile(_key, { writes }) {
          writes.record(object("a"));
          writes.record(object("b"));
          return Promise.resolve({ kind: "done" });
        },
      },
      { queue, log: createLogger({ write: () => {} }), metrics, concurrency: 1 },
      stop.signal,
    );
    queue.add("ns/orders");
    await poll(() => provider.spans.find((s) => s.ended), { what: "the reconcile span" });
    queue.shutDown();
    stop.abort();
    await running;
  });
  assert.deepEqual(spans.map((s) => [s.name, s.attributes]), [["apigw.reconcile", {
    "apigw.controller": "apirule",
    "apigw.key": "ns/orders",
    "apigw.outcome": "done",
    "apigw.objects_applied": 2,
  }]]);
});

Deno.test("inSpan ends the span of a function that throws, and rethrows", () => {
  configureTracing({ enabled: true, ratio: 1 });
  provider.spans.length = 0;
  try {
    assert.throws(
      () =>
        inSpan("apigw.test", { root: true }, () => {
          throw new Error("boom");
        }),
      /boom/,
    );
  } finally {
    configureTracing({ enabled: false, ratio: 0 });
  }
  assert.equal(provider.spans.length, 1);
  assert.ok(provider.spans[0]!.ended);
});

function base64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}
