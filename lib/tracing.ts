/**
 * apigw's OpenTelemetry spans, behind one small module. Deno 2.9.6 exports OTLP itself; apigw
 * adds its own spans (a check, a gateway request, JWKS and introspection calls, the upstream
 * call of its HTTP/1.1 client, batched Redis calls linked to the checks they served, reconciles)
 * in one of two ways (docs/tracing.md):
 *
 * - **Deno owns the server span** (`OTEL_DENO=true`, Deno's tracing on): Deno traces every
 *   `Deno.serve` request and `fetch`, wires its SDK into `npm:@opentelemetry/api`, and apigw's
 *   spans are children of its server span. Costly: with tracing on, Deno.serve leaves its native
 *   fast path and builds a span per request, sampled or not (bench/README.md, "tracing").
 * - **apigw owns the server span** (`OTEL_DENO=true OTEL_DENO_TRACING=false`, Deno's exporter
 *   kept up by its console capture or metrics): Deno.serve stays on its fast path; apigw reads
 *   `traceparent` (or B3) itself and starts the check or request span as the server span through
 *   `Deno.telemetry`, whose exporter and sampler are the same.
 *
 * Off unless one of those (and `OTEL_TRACES_SAMPLER` is not `always_off`). Off, every helper
 * takes the no-op path: no tracer is asked and no span object is built. On, sampling is
 * parent-based: a span is built only under a sampled parent; a root (a reconcile, a request
 * without context when apigw owns the server span) is sampled by Deno's sampler
 * (`OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG`), and a B3 context without a sampling flag
 * draws that ratio.
 */
import {
  type Attributes,
  type Context,
  context,
  type ContextManager,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";

export type { Span, SpanContext };
export { SpanKind };

/** Whether apigw builds spans, who owns the server span, and the root sampling ratio. */
export interface TracingSettings {
  enabled: boolean;
  /** Probability that a span without a parent is sampled, 0…1. */
  ratio: number;
  /**
   * `deno` (the default): Deno's server span is every request's parent and apigw's spans are
   * internal. `apigw`: Deno does not trace requests; apigw's check or request span is the
   * server span, continuing `traceparent` or B3 itself.
   */
  server?: "deno" | "apigw";
  /**
   * The tracer samples roots itself (Deno's does, with `OTEL_TRACES_SAMPLER`): apigw asks it and
   * reads the sampled flag instead of drawing `ratio`, which would sample `ratio²` of roots.
   */
  tracerSamples?: boolean;
}

/** Where spans come from and how the active context is kept (tests bring their own). */
export interface TracingBackend {
  tracerProvider: Pick<TracerProvider, "getTracer">;
  contextManager: Pick<ContextManager, "active" | "with">;
}

let tracer: Tracer | undefined;
let contexts: Pick<ContextManager, "active" | "with"> = context;
let ratio = 1;
let ownServerSpan = false;
let tracerSamples = false;

/**
 * The settings the standard `OTEL_*` variables ask for (OTel SDK environment spec), read the
 * way Deno 2.9 reads them at startup (`cli/args/flags.rs`, `otel_config`): `OTEL_SDK_DISABLED`
 * wins; `OTEL_DENO` is the default of `OTEL_DENO_TRACING`, `OTEL_DENO_METRICS` and
 * `OTEL_DENO_CONSOLE` (capture); Deno's exporter exists when any of them is on.
 */
export function tracingSettingsFromEnv(
  env: { get(name: string): string | undefined },
): TracingSettings {
  const off = { enabled: false, ratio: 0 };
  const flag = (name: string) => {
    const value = env.get(name)?.toLowerCase();
    return value === "true" ? true : value === "false" ? false : undefined;
  };
  if (flag("OTEL_SDK_DISABLED") === true) return off;
  const deno = flag("OTEL_DENO") ?? false;
  const denoTracing = flag("OTEL_DENO_TRACING") ?? deno;
  const consoleMode = env.get("OTEL_DENO_CONSOLE");
  const exporter = denoTracing || (flag("OTEL_DENO_METRICS") ?? deno) ||
    (consoleMode === "capture" || consoleMode === "replace" ||
      (consoleMode !== "ignore" && deno));
  let server: "deno" | "apigw";
  if (denoTracing) server = "deno";
  else if (deno && exporter) server = "apigw";
  else return off;
  const sampler = (env.get("OTEL_TRACES_SAMPLER") ?? "parentbased_always_on").toLowerCase();
  if (sampler === "always_off" || sampler === "parentbased_always_off") return off;
  let value = 1;
  if (sampler === "traceidratio" || sampler === "parentbased_traceidratio") {
    const arg = Number(env.get("OTEL_TRACES_SAMPLER_ARG") ?? "1");
    value = Number.isFinite(arg) ? Math.min(1, Math.max(0, arg)) : 1;
  }
  return value > 0 ? { enabled: true, ratio: value, server, tracerSamples: true } : off;
}

/**
 * Turns tracing on or off for this process (startup reads the environment, tests call it).
 * With apigw owning the server span the backend is `Deno.telemetry` (Deno's tracer and context
 * manager, which `@opentelemetry/api` is not wired to when Deno's tracing is off); otherwise the
 * `@opentelemetry/api` globals, which Deno fills when its tracing is on.
 */
export function configureTracing(settings: TracingSettings, backend?: TracingBackend): void {
  ratio = settings.ratio;
  ownServerSpan = settings.server === "apigw";
  tracerSamples = settings.tracerSamples ?? false;
  const chosen = backend ?? (ownServerSpan ? denoTelemetry() : undefined);
  contexts = chosen?.contextManager ?? context;
  tracer = !settings.enabled
    ? undefined
    : chosen !== undefined
    ? chosen.tracerProvider.getTracer("apigw")
    : ownServerSpan
    ? undefined // no Deno.telemetry: nothing to export through
    : trace.getTracer("apigw");
}

function denoTelemetry(): TracingBackend | undefined {
  const telemetry = (Deno as unknown as { telemetry?: Partial<TracingBackend> }).telemetry;
  return telemetry?.tracerProvider !== undefined && telemetry.contextManager !== undefined
    ? telemetry as TracingBackend
    : undefined;
}

configureTracing(tracingSettingsFromEnv({ get: (name) => readEnv(name) }));

/** Whether spans may be built at all. */
export function tracingOn(): boolean {
  return tracer !== undefined;
}

/** The active span's context when it is sampled; undefined when off or unsampled. */
export function sampledParent(): SpanContext | undefined {
  if (tracer === undefined) return undefined;
  const parent = trace.getSpanContext(contexts.active());
  return parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) !== 0
    ? parent
    : undefined;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** Parent instead of the active context (a batch's first caller). */
  parent?: Context;
  /**
   * A remote parent (the caller's `traceparent` or B3) instead of the active context; turned
   * into a context only when it is sampled, so an unsampled caller costs a flag test.
   */
  remote?: SpanContext;
  /** Start a root when there is no sampled parent, sampled at the configured ratio. */
  root?: boolean;
}

/**
 * Runs `fn` inside a new span and ends it when `fn`'s result settles (sync or async); errors
 * mark the span. `fn` gets undefined, and nothing is built, when tracing is off or the parent is
 * not sampled. An unsampled parent costs a flag test (no id validation): this is the path of
 * most requests at a low sampling ratio.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions | undefined,
  fn: (span: Span | undefined) => T,
): T {
  if (tracer === undefined) return fn(undefined);
  const remote = options?.remote;
  if (remote !== undefined && (remote.traceFlags & TraceFlags.SAMPLED) === 0) return fn(undefined);
  const parentContext = remote !== undefined
    ? contextOf(remote)
    : options?.parent ?? contexts.active();
  const parent = remote ?? trace.getSpanContext(parentContext);
  let span: Span;
  if (parent !== undefined && validIds(parent)) {
    if ((parent.traceFlags & TraceFlags.SAMPLED) === 0) return fn(undefined);
    const started = start(name, options, parentContext);
    if (started === undefined) return fn(undefined);
    span = started;
  } else {
    if (options?.root !== true) return fn(undefined);
    if (!tracerSamples && Math.random() >= ratio) return fn(undefined);
    const started = start(name, options, parentContext);
    // Deno's sampler decided; an unsampled span needs neither ending nor a context.
    if (
      started === undefined ||
      (tracerSamples && (started.spanContext().traceFlags & TraceFlags.SAMPLED) === 0)
    ) {
      return fn(undefined);
    }
    span = started;
  }
  let result: T;
  try {
    result = contexts.with(trace.setSpan(parentContext, span), fn, undefined, span);
  } catch (error) {
    fail(span, error);
    span.end();
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        fail(span, error);
        span.end();
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}

function spanOptions(options: SpanOptions | undefined) {
  return {
    kind: options?.kind ?? SpanKind.INTERNAL,
    ...(options?.attributes !== undefined ? { attributes: options.attributes } : {}),
    ...(options?.links !== undefined ? { links: options.links } : {}),
  };
}

const INVALID_TRACE = "00000000000000000000000000000000";
const INVALID_SPAN = "0000000000000000";

/** Cheaper than `trace.isSpanContextValid` (two regexes): the contexts here are well-formed. */
function validIds(context: SpanContext): boolean {
  return context.traceId !== INVALID_TRACE && context.spanId !== INVALID_SPAN;
}

/** A span the caller ends itself (a batch answered from a callback). */
export function startSpan(name: string, options: SpanOptions): Span | undefined {
  if (tracer === undefined) return undefined;
  return start(name, options, options.parent ?? contexts.active());
}

/**
 * The tracer's new span; undefined, and tracing off from then on, when Deno's exporter is not
 * there after all: a `deno compile`d binary keeps the `OTEL_DENO*` switches of its build
 * (`cli/standalone/binary.rs`), so the environment can say on while `Deno.telemetry`'s tracer
 * throws "otel not initialized".
 */
function start(name: string, options: SpanOptions | undefined, parent: Context): Span | undefined {
  try {
    return tracer?.startSpan(name, spanOptions(options), parent);
  } catch (error) {
    if (!ownServerSpan) throw error;
    tracer = undefined;
    return undefined;
  }
}

/** The context whose active span is `parent` (a remote one, or a batch's first caller). */
export function contextOf(parent: SpanContext): Context {
  return trace.setSpanContext(ROOT_CONTEXT, parent);
}

/** Records an error on `span` and marks it failed. */
export function fail(span: Span, error: unknown): void {
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** The W3C `traceparent` value naming `span` as the parent (for apigw's own HTTP client). */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

const HEX_TRACE = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;
const HEX_SPAN = /^[0-9a-f]{16}$/;

/**
 * The B3 context Envoy forwards (`x-b3-traceid`, `x-b3-spanid`, `x-b3-sampled`/`x-b3-flags`, or
 * the single `b3` header), when there is a valid one. A 64-bit trace id is left-padded. Without
 * a sampling flag the configured ratio decides (the context is a root for us).
 */
export function extractB3(headers: { get(name: string): string | null }): SpanContext | undefined {
  let traceId: string | null;
  let spanId: string | null;
  let sampled: string | null;
  const single = headers.get("b3");
  if (single !== null) {
    const parts = single.trim().toLowerCase().split("-");
    if (parts.length < 2) return undefined;
    [traceId, spanId] = [parts[0]!, parts[1]!];
    sampled = parts[2] ?? null;
  } else {
    traceId = headers.get("x-b3-traceid")?.trim().toLowerCase() ?? null;
    if (traceId === null) return undefined;
    spanId = headers.get("x-b3-spanid")?.trim().toLowerCase() ?? null;
    sampled = headers.get("x-b3-flags") === "1" ? "d" : headers.get("x-b3-sampled");
  }
  if (traceId === null || spanId === null) return undefined;
  if (!HEX_TRACE.test(traceId) || !HEX_SPAN.test(spanId)) return undefined;
  const full = traceId.padStart(32, "0");
  if (/^0+$/.test(full) || /^0+$/.test(spanId)) return undefined;
  const flag = sampled?.trim().toLowerCase();
  const on = flag === "1" || flag === "d" || flag === "true"
    ? true
    : flag === "0" || flag === "false"
    ? false
    : Math.random() < ratio;
  return {
    traceId: full,
    spanId,
    traceFlags: on ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
}

function readEnv(name: string): string | undefined {
  try {
    // Never prompt: a process not allowed to read the variable has tracing off.
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(name);
  } catch {
    // Without --allow-env the variables cannot say "on": tracing stays off.
    return undefined;
  }
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?:$|-)/;

/**
 * The W3C `traceparent` context (Trace Context level 1: lowercase hex; version `ff` and all-zero
 * ids are invalid; a later version may append fields), for when apigw owns the server span.
 */
export function extractTraceparent(value: string | null): SpanContext | undefined {
  if (value === null || !TRACEPARENT.test(value)) return undefined;
  const version = value.slice(0, 2);
  if (version === "ff" || (version === "00" && value.length !== 55)) return undefined;
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  if (traceId === INVALID_TRACE || spanId === INVALID_SPAN) return undefined;
  const traceFlags = parseInt(value.slice(53, 55), 16) & TraceFlags.SAMPLED;
  return { traceId, spanId, traceFlags, isRemote: true };
}

/**
 * Where a server-side span of ours (a check, a gateway request) starts.
 *
 * Deno owning the server span: under it (it continues a W3C `traceparent`); or, when the
 * request carries B3 and no `traceparent` (Envoy's Zipkin tracer on ext_authz), under the B3
 * context, linked to Deno's server span. apigw owning it: ours is the server span, under the
 * request's `traceparent`, else its B3 context, else a root that Deno's sampler draws.
 * `b3: false` ignores B3 headers (the gateway, which Envoy does not call with B3).
 */
export function incomingParent(
  headers: { get(name: string): string | null },
  options: { b3?: boolean } = {},
): Pick<SpanOptions, "parent" | "remote" | "links" | "root" | "kind"> {
  if (ownServerSpan) {
    const w3c = extractTraceparent(headers.get("traceparent"));
    if (w3c !== undefined) return { kind: SpanKind.SERVER, remote: w3c };
    const b3 = options.b3 === false ? undefined : extractB3(headers);
    if (b3 !== undefined) return { kind: SpanKind.SERVER, remote: b3 };
    return { kind: SpanKind.SERVER, root: true, parent: ROOT_CONTEXT };
  }
  // Under Deno's server span ours is internal; continuing a remote B3 caller, it is the server.
  if (options.b3 === false || headers.get("traceparent") !== null) {
    return { root: true, kind: SpanKind.INTERNAL };
  }
  const b3 = extractB3(headers);
  if (b3 === undefined) return { root: true, kind: SpanKind.INTERNAL };
  const server = trace.getSpanContext(contexts.active());
  return {
    kind: SpanKind.SERVER,
    remote: b3,
    ...(server !== undefined ? { links: [{ context: server }] } : {}),
  };
}

/** Adds attributes to the active span when it is one being recorded (no-op when off). */
export function annotateActive(attributes: Attributes): void {
  if (tracer === undefined) return;
  const span = trace.getSpan(contexts.active());
  if (span !== undefined && span.isRecording()) span.setAttributes(attributes);
}
