/**
 * Which gRPC server serves the rate limit service faster on Deno: apigw's own thin unary server
 * on its own HTTP/2 layer over `Deno.listen` (what `apigw authz --rls-listen` uses,
 * `proxy/grpc/server.ts` over `unary_server.ts` and `h2/`), the same server on `node:http2` (its
 * fallback), @grpc/grpc-js (what it used before) or @connectrpc/connect-node (both on
 * `node:http2`), decoding with the committed `proxy/grpc/envoy.protoset` and answering through
 * the same `createRlsService` (in-memory counters, so the server layer is what differs).
 * ghz (benchmark-only peer, `GOBIN=~/.cache/apigw-bench go install
 * github.com/bojand/ghz/cmd/ghz@v0.93.0`) loads each in turn.
 *
 *   deno task bench:rls [--duration 10] [--concurrency 32] [--bin ~/.cache/apigw-bench]
 */
import { ghzRow, runGhz } from "./_ghz.ts";
import {
  create,
  createFileRegistry,
  type DescMessage,
  type DescMethod,
  type DescMethodUnary,
  fromBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { Buffer } from "node:buffer";
import http2 from "node:http2";
import { parseArgs } from "node:util";
import { createLogger } from "../lib/log.ts";
import { RLS_SERVICE, startGrpcServer, toMessage } from "../proxy/grpc/server.ts";
import { parseRlsRequest } from "../proxy/grpc/rls_request.ts";
import { createMemoryStore } from "../proxy/ratelimit/memory_store.ts";
import { parseRlsConfig } from "../proxy/rls/config.ts";
import { createRlsService, type RlsRequest, type RlsResponse } from "../proxy/rls/service.ts";

const PROTOSET = new URL("../proxy/grpc/envoy.protoset", import.meta.url).pathname;
const args = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "10" },
    concurrency: { type: "string", default: "32" },
    bin: { type: "string", default: `${Deno.env.get("HOME")}/.cache/apigw-bench` },
  },
}).values;

const parsed = parseRlsConfig([{
  name: "bench.yaml",
  text:
    "domain: bench\ndescriptors:\n  - key: api_key\n    rate_limit: { unit: second, requests_per_unit: 1000000000 }\n",
}]);
if (!parsed.ok) throw new Error(parsed.error.join("\n"));
const config = parsed.value;
const decide = createRlsService({
  config: () => config,
  store: createMemoryStore({ maxKeys: 100_000 }),
  responseHeaders: false,
  failureMode: "error",
});

/** The connect-node server: same descriptors, same decision, messages as @bufbuild/protobuf's. */
async function startConnect(): Promise<{ port: number; close(): Promise<void> }> {
  const registry = createFileRegistry(
    fromBinary(FileDescriptorSetSchema, await Deno.readFile(PROTOSET)),
  );
  const method = registry.getService("envoy.service.ratelimit.v3.RateLimitService")?.method
    .shouldRateLimit;
  const response = registry.getMessage("envoy.service.ratelimit.v3.RateLimitResponse");
  if (method === undefined || !isUnary(method) || response === undefined) {
    throw new TypeError("envoy.protoset lacks ShouldRateLimit");
  }
  const unary = method;
  const handler = connectNodeAdapter({
    grpc: true,
    connect: false,
    grpcWeb: false,
    routes(router) {
      router.rpc(unary, async (message) => {
        const outcome = await decide(requestOf(message));
        if (!outcome.ok) throw new Error(outcome.message);
        return create(response, responseInit(outcome.response));
      });
    },
  });
  const server = http2.createServer(handler);
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    })
  );
  return {
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The grpc-js server apigw used before: proto-loader's codecs, the same decision. */
async function startGrpcJs(): Promise<{ port: number; close(): Promise<void> }> {
  const definitions = loadFileDescriptorSetFromBuffer(
    Buffer.from(await Deno.readFile(PROTOSET)),
    { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true },
  );
  const server = new grpc.Server();
  server.addService(definitions[RLS_SERVICE] as grpc.ServiceDefinition, {
    ShouldRateLimit(
      call: grpc.ServerUnaryCall<unknown, unknown>,
      done: grpc.sendUnaryData<unknown>,
    ) {
      const parsed = parseRlsRequest(call.request);
      if (!parsed.ok) return done({ code: grpc.status.INVALID_ARGUMENT, details: parsed.error });
      decide(parsed.value).then((outcome) =>
        outcome.ok
          ? done(null, toMessage(outcome.response))
          : done({ code: grpc.status.UNAVAILABLE, details: outcome.message })
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => error === null ? resolve(bound) : reject(error),
    )
  );
  return { port, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

function isUnary(method: DescMethod): method is DescMethodUnary<DescMessage, DescMessage> {
  return method.methodKind === "unary";
}

const CODES = { OK: 1, OVER_LIMIT: 2 } as const;
const UNITS: Record<string, number> = {
  SECOND: 1,
  MINUTE: 2,
  HOUR: 3,
  DAY: 4,
  MONTH: 5,
  YEAR: 6,
  WEEK: 7,
};

function requestOf(message: unknown): RlsRequest {
  const list = (value: unknown): unknown[] => Array.isArray(value) ? value : [];
  return {
    domain: String(Reflect.get(Object(message), "domain")),
    hitsAddend: Number(Reflect.get(Object(message), "hitsAddend") ?? 0),
    descriptors: list(Reflect.get(Object(message), "descriptors")).map((d) => ({
      entries: list(Reflect.get(Object(d), "entries")).map((e) => ({
        key: String(Reflect.get(Object(e), "key")),
        value: String(Reflect.get(Object(e), "value")),
      })),
    })),
  };
}

function responseInit(response: RlsResponse): Record<string, unknown> {
  return {
    overallCode: CODES[response.overallCode],
    statuses: response.statuses.map((s) => ({
      code: CODES[s.code],
      limitRemaining: s.limitRemaining,
      ...(s.currentLimit !== undefined
        ? {
          currentLimit: {
            requestsPerUnit: s.currentLimit.requestsPerUnit,
            unit: UNITS[s.currentLimit.unit],
            name: s.currentLimit.name,
          },
        }
        : {}),
      ...(s.durationUntilResetSeconds !== undefined
        ? { durationUntilReset: { seconds: BigInt(s.durationUntilResetSeconds) } }
        : {}),
    })),
  };
}

function ghz(port: number): Promise<Record<string, unknown>> {
  return runGhz({
    bin: args.bin,
    protoset: PROTOSET,
    call: "envoy.service.ratelimit.v3.RateLimitService.ShouldRateLimit",
    data:
      `{"domain":"bench","descriptors":[{"entries":[{"key":"api_key","value":"{{.RequestNumber}}"}]}]}`,
    concurrency: args.concurrency,
    duration: args.duration,
    address: `127.0.0.1:${port}`,
  });
}

if (import.meta.main) {
  const rows: string[] = [];
  for (const http2 of ["apigw", "node"] as const) {
    const apigw = await startGrpcServer({
      hostname: "127.0.0.1",
      port: 0,
      shouldRateLimit: decide,
      serving: () => true,
      http2,
      log: createLogger({ level: "error" }),
    });
    const layer = http2 === "apigw" ? "apigw's h2 over Deno.listen" : "node:http2";
    rows.push(ghzRow(`apigw unary server (${layer})`, await ghz(apigw.port)));
    await apigw.close();
  }
  const grpcJs = await startGrpcJs();
  rows.push(ghzRow("@grpc/grpc-js 1.14.7", await ghz(grpcJs.port)));
  await grpcJs.close();
  const connect = await startConnect();
  rows.push(ghzRow("@connectrpc/connect-node 2.2.0", await ghz(connect.port)));
  await connect.close();
  console.log(`\n${args.duration} s each, ${args.concurrency} concurrent calls, 4 connections`);
  console.log("| server | calls/s | p50 | p99 | codes |\n| --- | ---: | ---: | ---: | --- |");
  for (const line of rows) console.log(line);
}
