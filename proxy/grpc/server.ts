/**
 * The gRPC listeners of `apigw authz` (h2c, @grpc/grpc-js over node:http2): Envoy's
 * `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit` (`--rls-listen`) or
 * `envoy.service.auth.v3.Authorization/Check` (`--grpc-listen`), and `grpc.health.v1.Health`.
 * The message types come from `envoy.protoset`, the FileDescriptorSet dumped from
 * go-control-plane (`deno task protoset`), decoded at startup: no generated code, no Go at
 * runtime. Undecodable or oversized messages get a gRPC error status from grpc-js; requests
 * that decode but make no sense get INVALID_ARGUMENT; the server keeps serving.
 */
import * as grpc from "@grpc/grpc-js";
import {
  type AnyDefinition,
  loadFileDescriptorSetFromBuffer,
  type ServiceDefinition,
} from "@grpc/proto-loader";
import { Buffer } from "node:buffer";
import type { Logger } from "../../lib/log.ts";
import type { RlsOutcome, RlsRequest, RlsResponse } from "../rls/service.ts";
import { parseRlsRequest } from "./rls_request.ts";
import { peerAddress } from "./authz_request.ts";
import { AUTHZ_SERVICE, type CallContext, type CheckAnswer } from "./authz_service.ts";

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
  const health = serviceDefinition(definitions, HEALTH_SERVICE);
  const limit = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const server = new grpc.Server({
    "grpc.max_receive_message_length": limit,
    "grpc.max_send_message_length": limit,
  });
  const rlsCall = options.shouldRateLimit;
  if (rlsCall !== undefined) {
    server.addService(serviceDefinition(definitions, RLS_SERVICE), {
      ShouldRateLimit(
        call: grpc.ServerUnaryCall<unknown, unknown>,
        done: grpc.sendUnaryData<unknown>,
      ) {
        const parsed = parseRlsRequest(call.request);
        if (!parsed.ok) {
          done({ code: grpc.status.INVALID_ARGUMENT, details: parsed.error });
          return;
        }
        rlsCall(parsed.value).then((outcome) => {
          if (outcome.ok) done(null, toMessage(outcome.response));
          else {
            const code = outcome.code === "invalid"
              ? grpc.status.INVALID_ARGUMENT
              : grpc.status.UNAVAILABLE;
            done({ code, details: outcome.message });
          }
        }, (error: unknown) => {
          options.log.error("Failed to decide a rate limit request", { error: String(error) });
          done({ code: grpc.status.INTERNAL, details: "internal error" });
        });
      },
    });
  }
  const authz = options.authz;
  if (authz !== undefined) {
    server.addService(serviceDefinition(definitions, AUTHZ_SERVICE), {
      Check(call: grpc.ServerUnaryCall<unknown, unknown>, done: grpc.sendUnaryData<unknown>) {
        const finish = (answer: CheckAnswer) =>
          answer.ok
            ? done(null, answer.response)
            : done({ code: answer.code, details: answer.details });
        let answer;
        try {
          answer = authz.check(call.request, {
            peer: peerAddress(call.getPeer()),
            remainingMs: remainingMs(call.getDeadline()),
          });
        } catch (error) {
          options.log.error("Failed to decide a check", { error: String(error) });
          done({ code: grpc.status.INTERNAL, details: "internal error" });
          return;
        }
        if (answer instanceof Promise) answer.then(finish);
        else finish(answer);
      },
    });
  }
  server.addService(health, {
    Check(call: grpc.ServerUnaryCall<unknown, unknown>, done: grpc.sendUnaryData<unknown>) {
      const status = healthOf(call.request, options);
      if (status === undefined) done({ code: grpc.status.NOT_FOUND, details: "unknown service" });
      else done(null, { status });
    },
    Watch(call: grpc.ServerWritableStream<unknown, unknown>) {
      const status = healthOf(call.request, options);
      call.write({ status: status ?? "SERVICE_UNKNOWN" });
      // The status only changes with the configuration; a watcher keeps the stream until it ends.
      call.on("cancelled", () => call.end());
    },
  });
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${host}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => error === null ? resolve(bound) : reject(error),
    )
  );
  return {
    hostname: options.hostname,
    port,
    close(graceMs = 5_000) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
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

/** Milliseconds until a grpc-js call deadline (a Date, a timestamp or Infinity). */
function remainingMs(deadline: grpc.Deadline): number {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return at === Infinity ? Infinity : at - Date.now();
}

/** The response in proto-loader's shape (field names as in rls.proto). */
function toMessage(response: RlsResponse): Record<string, unknown> {
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
