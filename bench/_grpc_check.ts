/**
 * One `envoy.service.auth.v3.Authorization/Check` call with grpc-js and the committed protoset:
 * what a gRPC benchmark target decides for one CheckRequest, before ghz loads it.
 */
import * as grpc from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { Buffer } from "node:buffer";

const PROTOSET = new URL("../proxy/grpc/envoy.protoset", import.meta.url);

/** What a Check answered: `CheckResponse.status.code` (0 allows), or the gRPC error. */
export type CheckOutcome = { code: number } | { error: string };

/**
 * Sends one Check to `address` (`host:port`, h2c) and returns its outcome; gives up after
 * `timeoutMs`. `request` is what ghz sends (JSON with the .proto's field names; the `headers`
 * map as an object), turned into proto-loader's form here.
 */
export async function checkOnce(
  address: string,
  request: unknown,
  timeoutMs = 10_000,
): Promise<CheckOutcome> {
  const definitions = loadFileDescriptorSetFromBuffer(
    Buffer.from(await Deno.readFile(PROTOSET)),
    { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true },
  );
  // deno-lint-ignore no-explicit-any
  const loaded: any = grpc.loadPackageDefinition(definitions);
  const client: grpc.Client & {
    Check(
      request: unknown,
      options: grpc.CallOptions,
      done: (error: grpc.ServiceError | null, response?: { status?: { code?: number } }) => void,
    ): void;
  } = new loaded.envoy.service.auth.v3.Authorization(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<CheckOutcome>((resolve) => {
      client.Check(
        mapsAsEntries(request),
        { deadline: Date.now() + timeoutMs },
        (error, response) => {
          resolve(
            error === null
              ? { code: response?.status?.code ?? 0 }
              : { error: `${grpc.status[error.code] ?? error.code}: ${error.details}` },
          );
        },
      );
    });
  } finally {
    client.close();
  }
}

/**
 * proto-loader's codecs from a FileDescriptorSet take map fields as their entry messages:
 * `headers: { a: "1" }` becomes `headers: [{ key: "a", value: "1" }]`.
 */
function mapsAsEntries(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((item) => mapsAsEntries(item));
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value);
  if (key === "headers") return entries.map(([k, v]) => ({ key: k, value: v }));
  return Object.fromEntries(entries.map(([k, v]) => [k, mapsAsEntries(v, k)]));
}
