/**
 * The gRPC listeners of `apigw authz` (h2c, apigw's thin unary server on its own HTTP/2 layer
 * over `Deno.listen`, `unary_server.ts` and `h2/`): Envoy's
 * `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit` (`--rls-listen`) or
 * `envoy.service.auth.v3.Authorization/Check` (`--grpc-listen`), and `grpc.health.v1.Health`.
 * The message types come from `envoy.protoset`, the FileDescriptorSet dumped from
 * go-control-plane (`deno task protoset`), decoded at startup: no generated code, no Go at
 * runtime; @grpc/proto-loader's codecs decode and encode them. Undecodable or oversized messages
 * get a gRPC error status from the server; requests that decode but make no sense get
 * INVALID_ARGUMENT; the server keeps serving.
 */
import {
  type AnyDefinition,
  loadFileDescriptorSetFromBuffer,
  type ServiceDefinition,
} from "@grpc/proto-loader";
import { Buffer } from "node:buffer";
import type { Logger } from "../../lib/log.ts";
import type { RlsOutcome, RlsRequest, RlsResponse } from "../rls/service.ts";
import { parseRlsRequest } from "./rls_request.ts";
import { AUTHZ_SERVICE, type CallContext, type CheckAnswer } from "./authz_service.ts";
import { type Reply, startUnaryServer, STATUS, type UnaryMethod } from "./unary_server.ts";
import type { ListenerLimits } from "./unary_types.ts";

export const RLS_SERVICE = "envoy.service.ratelimit.v3.RateLimitService";
const HEALTH_SERVICE = "grpc.health.v1.Health";
/** Envoy's rate limit requests are a few hundred bytes; 1 MiB bounds a hostile one. */
const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

export interface GrpcServerOptions {
  hostname: string;
  port: number;
  /** The rate limit service, when this listener serves it. */
  shouldRateLimit?(request: RlsRequest): Promise<RlsOutcome>;
  /** Whether the rate limit service can answer (its configuration is loaded). */
  serving?(): boolean;
  /** The ext_authz Check, when this listener serves it (`createGrpcCheck`). */
  authz?: {
    check(request: unknown, call: CallContext): CheckAnswer | Promise<CheckAnswer>;
    /** Whether checks can be decided (a rule index is loaded). */
    serving(): boolean;
  };
  log: Logger;
  maxMessageBytes?: number;
  /** The HTTP/2 layer (`unary_server.ts`): apigw's own (default) or the `node:http2` fallback. */
  http2?: "apigw" | "node";
  /** The apigw HTTP/2 layer's connection cap and per-connection limits (default: its own). */
  limits?: ListenerLimits;
}

export interface GrpcServer {
  readonly hostname: string;
  readonly port: number;
  /** Stops accepting calls, lets running ones finish for up to `graceMs`, then ends them. */
  close(graceMs?: number): Promise<void>;
}

/** Loads the descriptors, binds the listener and serves until `close()`. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const definitions = loadFileDescriptorSetFromBuffer(
    Buffer.from(await Deno.readFile(new URL("./envoy.protoset", import.meta.url))),
    { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true },
  );
  const methods = new Map<string, UnaryMethod>();
  const add = (
    service: string,
    name: string,
    handle: UnaryMethod["handle"],
    extra: { watch?: boolean } = {},
  ) => {
    const method = serviceDefinition(definitions, service)[name];
    if (method === undefined) {
      throw new TypeError(`envoy.protoset has no method ${service}/${name}`);
    }
    methods.set(method.path, {
      decode: (bytes) =>
        method.requestDeserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
      encode: (message) => method.responseSerialize(message as object),
      handle,
      ...extra,
    });
  };
  const rlsCall = options.shouldRateLimit;
  if (rlsCall !== undefined) {
    add(RLS_SERVICE, "ShouldRateLimit", (request) => {
      const parsed = parseRlsRequest(request);
      if (!parsed.ok) return { ok: false, code: STATUS.INVALID_ARGUMENT, details: parsed.error };
      return rlsCall(parsed.value).then((outcome): Reply<unknown> => {
        if (outcome.ok) return { ok: true, message: toMessage(outcome.response) };
        const code = outcome.code === "invalid" ? STATUS.INVALID_ARGUMENT : STATUS.UNAVAILABLE;
        return { ok: false, code, details: outcome.message };
      }, (error: unknown) => {
        options.log.error("Failed to decide a rate limit request", { error: String(error) });
        return { ok: false, code: STATUS.INTERNAL, details: "internal error" };
      });
    });
  }
  const authz = options.authz;
  if (authz !== undefined) {
    add(AUTHZ_SERVICE, "Check", (request, call) => {
      const answer = authz.check(request, call);
      return answer instanceof Promise ? answer.then(replyOf) : replyOf(answer);
    });
  }
  const health = (request: unknown): Reply<unknown> => {
    const status = healthOf(request, options);
    return status === undefined
      ? { ok: false, code: STATUS.NOT_FOUND, details: "unknown service" }
      : { ok: true, message: { status } };
  };
  add(HEALTH_SERVICE, "Check", health);
  // The status only changes with the configuration; a watcher keeps the stream until it ends.
  add(HEALTH_SERVICE, "Watch", (request) => {
    const reply = health(request);
    return reply.ok ? reply : { ok: true, message: { status: "SERVICE_UNKNOWN" } };
  }, { watch: true });
  const server = await startUnaryServer({
    hostname: options.hostname,
    port: options.port,
    methods,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    ...(options.http2 !== undefined ? { http2: options.http2 } : {}),
    ...options.limits,
    log: options.log,
  });
  return {
    hostname: options.hostname,
    port: server.port,
    close: (graceMs = 5_000) => server.close(graceMs),
  };
}

function replyOf(answer: CheckAnswer): Reply<unknown> {
  return answer.ok
    ? { ok: true, message: answer.response }
    : { ok: false, code: answer.code, details: answer.details };
}

function serviceDefinition(
  definitions: ReturnType<typeof loadFileDescriptorSetFromBuffer>,
  name: string,
): ServiceDefinition {
  const definition = definitions[name];
  if (definition === undefined || !isService(definition)) {
    throw new TypeError(`envoy.protoset has no service "${name}"`);
  }
  return definition;
}

/** Message and enum definitions carry their `format`; services are maps of methods. */
function isService(definition: AnyDefinition): definition is ServiceDefinition {
  return !("format" in definition);
}

/** A named service's status, or the whole server's ("": every service serves). */
function healthOf(request: unknown, options: GrpcServerOptions): string | undefined {
  const service = typeof request === "object" && request !== null && "service" in request
    ? request.service ?? ""
    : "";
  const services = new Map<string, () => boolean>();
  if (options.shouldRateLimit !== undefined) {
    services.set(RLS_SERVICE, () => options.serving?.() ?? true);
  }
  if (options.authz !== undefined) services.set(AUTHZ_SERVICE, options.authz.serving);
  const serving = service === ""
    ? [...services.values()].every((check) => check())
    : services.get(String(service))?.();
  if (serving === undefined) return undefined;
  return serving ? "SERVING" : "NOT_SERVING";
}

/** The response in proto-loader's shape (field names as in rls.proto). */
export function toMessage(response: RlsResponse): Record<string, unknown> {
  return {
    overall_code: response.overallCode,
    statuses: response.statuses.map((status) => ({
      code: status.code,
      limit_remaining: status.limitRemaining,
      ...(status.currentLimit !== undefined
        ? {
          current_limit: {
            requests_per_unit: status.currentLimit.requestsPerUnit,
            unit: status.currentLimit.unit,
            name: status.currentLimit.name,
          },
        }
        : {}),
      ...(status.durationUntilResetSeconds !== undefined
        ? { duration_until_reset: { seconds: status.durationUntilResetSeconds } }
        : {}),
    })),
    response_headers_to_add: response.responseHeaders.map(({ key, value }) => ({ key, value })),
  };
}
