/**
 * apigw's OpenTelemetry spans, behind one small module. Deno 2.9.6 exports OTLP itself when
 * `OTEL_DENO=true` and wires its SDK into `npm:@opentelemetry/api`; it traces `Deno.serve` (W3C
 * `traceparent` continued) and `fetch` (`traceparent` injected). apigw adds its own spans as
 * children of the active one: a check, a gateway request, JWKS and introspection calls, the
 * upstream call of its HTTP/1.1 client, batched Redis calls (linked to the checks they served)
 * and reconciles.
 *
 * Off unless `OTEL_DENO=true` (and `OTEL_TRACES_SAMPLER` is not `always_off`). Off, every helper
 * takes the no-op path: no tracer is asked and no span object is built. On, sampling is
 * parent-based: a span is built only under a sampled parent (Deno's server span samples with the
 * ratio of `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG`); a root (a reconcile, a B3 context
 * without a sampling flag) draws that ratio itself.
 */
import {
  type Attributes,
  type Context,
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Tracer,
} from "@opentelemetry/api";

export type { Span, SpanContext };
export { SpanKind };

/** Whether apigw builds spans, and the root sampling ratio. */
export interface TracingSettings {
  enabled: boolean;
  /** Probability that a span without a parent is sampled, 0…1. */
  ratio: number;
}

let tracer: Tracer | undefined;
let ratio = 1;

/** The settings the standard `OTEL_*` variables ask for (OTel SDK environment spec). */
export function tracingSettingsFromEnv(
  env: { get(name: string): string | undefined },
): TracingSettings {
  if (env.get("OTEL_DENO")?.toLowerCase() !== "true") return { enabled: false, ratio: 0 };
  const sampler = (env.get("OTEL_TRACES_SAMPLER") ?? "parentbased_always_on").toLowerCase();
  if (sampler === "always_off" || sampler === "parentbased_always_off") {
    return { enabled: false, ratio: 0 };
  }
  if (sampler === "traceidratio" || sampler === "parentbased_traceidratio") {
    const arg = Number(env.get("OTEL_TRACES_SAMPLER_ARG") ?? "1");
    const value = Number.isFinite(arg) ? Math.min(1, Math.max(0, arg)) : 1;
    return { enabled: value > 0, ratio: value };
  }
  return { enabled: true, ratio: 1 };
}

/** Turns tracing on or off for this process (startup reads the environment, tests call it). */
export function configureTracing(settings: TracingSettings): void {
  tracer = settings.enabled ? trace.getTracer("apigw") : undefined;
  ratio = settings.ratio;
}

configureTracing(tracingSettingsFromEnv({ get: (name) => readEnv(name) }));

/** Whether spans may be built at all. */
export function tracingOn(): boolean {
  return tracer !== undefined;
}

/** The active span's context when it is sampled; undefined when off or unsampled. */
export function sampledParent(): SpanContext | undefined {
  if (tracer === undefined) return undefined;
  const parent = trace.getSpanContext(context.active());
  return parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) !== 0
    ? parent
    : undefined;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** Parent instead of the active context (a B3 context, a batch's first caller). */
  parent?: Context;
  /** Start a root when there is no sampled parent, sampled at the configured ratio. */
  root?: boolean;
}

/**
 * Runs `fn` inside a new span and ends it when `fn`'s result settles (sync or async); errors
 * mark the span. `fn` gets undefined, and nothing is built, when tracing is off or the parent is
 * not sampled.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions | undefined,
  fn: (span: Span | undefined) => T,
): T {
  if (tracer === undefined) return fn(undefined);
  const parentContext = options?.parent ?? context.active();
  const parent = trace.getSpanContext(parentContext);
  if (parent === undefined || !trace.isSpanContextValid(parent)) {
    if (options?.root !== true || Math.random() >= ratio) return fn(undefined);
  } else if ((parent.traceFlags & TraceFlags.SAMPLED) === 0) {
    return fn(undefined);
  }
  const span = tracer.startSpan(name, {
    kind: options?.kind ?? SpanKind.INTERNAL,
    ...(options?.attributes !== undefined ? { attributes: options.attributes } : {}),
    ...(options?.links !== undefined ? { links: options.links } : {}),
  }, parentContext);
  let result: T;
  try {
    result = context.with(trace.setSpan(parentContext, span), fn, undefined, span);
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

/** A span the caller ends itself (a batch answered from a callback). */
export function startSpan(name: string, options: SpanOptions): Span | undefined {
  if (tracer === undefined) return undefined;
  return tracer.startSpan(name, {
    kind: options.kind ?? SpanKind.INTERNAL,
    ...(options.attributes !== undefined ? { attributes: options.attributes } : {}),
    ...(options.links !== undefined ? { links: options.links } : {}),
  }, options.parent ?? context.active());
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

/**
 * Where a server span of ours starts: under the active (Deno's server) span, which continues a
 * W3C `traceparent`; or, when the request carries B3 and no `traceparent` (Envoy's Zipkin
 * tracer on ext_authz), under the B3 context, linked to Deno's server span.
 */
export function incomingParent(
  headers: { get(name: string): string | null },
): Pick<SpanOptions, "parent" | "links" | "root" | "kind"> {
  // Under Deno's server span ours is internal; continuing a remote B3 caller, it is the server.
  if (headers.get("traceparent") !== null) return { root: true, kind: SpanKind.INTERNAL };
  const b3 = extractB3(headers);
  if (b3 === undefined) return { root: true, kind: SpanKind.INTERNAL };
  const server = trace.getSpanContext(context.active());
  return {
    kind: SpanKind.SERVER,
    parent: contextOf(b3),
    ...(server !== undefined ? { links: [{ context: server }] } : {}),
  };
}

/** Adds attributes to the active span when it is one being recorded (no-op when off). */
export function annotateActive(attributes: Attributes): void {
  if (tracer === undefined) return;
  const span = trace.getActiveSpan();
  if (span !== undefined && span.isRecording()) span.setAttributes(attributes);
}
