/**
 * What apigw's unary gRPC servers share (`unary_server.ts` picks one): the methods they serve,
 * the answers a method gives, the status codes they set themselves, and the two gRPC header
 * encodings (`grpc-timeout`, `grpc-message`).
 */
import type { Logger } from "../../lib/log.ts";
import type { ConnectionLimits } from "./h2/limits.ts";

/** gRPC status codes this server sets itself. */
export const STATUS = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** What a method answers: a message to encode, or an error status. */
export type Reply<Response> =
  | { ok: true; message: Response }
  | { ok: false; code: number; details: string };

export interface CallInfo {
  /** The connection's remote address. */
  peer: string | undefined;
  /** Milliseconds left of the client's `grpc-timeout` (Infinity without one). */
  remainingMs: number;
}

export interface UnaryMethod<Request = unknown, Response = unknown> {
  decode(bytes: Uint8Array): Request;
  encode(message: Response): Uint8Array;
  handle(request: Request, call: CallInfo): Reply<Response> | Promise<Reply<Response>>;
  /** A server stream that writes this one message and stays open until the client ends it. */
  watch?: boolean;
}

/**
 * What an operator tunes of a listener on the apigw HTTP/2 layer (`apigw authz --grpc-*` flags);
 * absent fields keep the layer's defaults. The node:http2 layer ignores them.
 */
export interface ListenerLimits {
  /** Connections the apigw HTTP/2 layer serves at once (default 10 000). */
  maxConnections?: number;
  /** Overrides of the apigw HTTP/2 layer's per-connection limits (tests, tuning). */
  http2Limits?: Partial<ConnectionLimits>;
}

export interface UnaryServerOptions extends ListenerLimits {
  hostname: string;
  port: number;
  /** Methods by path, `/<package.Service>/<Method>`. */
  methods: ReadonlyMap<string, UnaryMethod>;
  /** The cap of a request or response message, in bytes. */
  maxMessageBytes: number;
  /** Request bytes one connection may hold in unfinished calls (default: 8 MiB or 2 messages). */
  maxConnectionBufferBytes?: number;
  /** The HTTP/2 layer: apigw's own over `Deno.listen` (default) or `node:http2`. */
  http2?: "apigw" | "node";
  log: Logger;
}

export interface UnaryServer {
  readonly port: number;
  /** Stops accepting, lets running calls finish for up to `graceMs`, then ends the sessions. */
  close(graceMs: number): Promise<void>;
}

/** gRPC's length prefix: a compression flag byte and a 4-byte big-endian length. */
export const MESSAGE_HEADER_BYTES = 5;
/**
 * Request bytes one connection may hold in calls whose message has not fully arrived: with up to
 * `maxConcurrentStreams` streams of up to `maxMessageBytes` each, this is what bounds a
 * connection's memory.
 */
export const CONNECTION_BUFFER_BYTES = 8 * 1024 * 1024;

/** Whether a content-type names gRPC's protobuf encoding (what grpc-go accepts). */
export function isGrpcContentType(type: string | undefined): boolean {
  return type === "application/grpc" || type?.startsWith("application/grpc+proto") === true ||
    type?.startsWith("application/grpc;") === true;
}

/** `grpc-message` is percent-encoded: bytes outside printable ASCII, and `%`. */
export function encodeMessage(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const NO_DEADLINE = Infinity;
const TIMEOUT_UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

/** `grpc-timeout` (1 to 8 digits and a unit) in milliseconds; Infinity if absent or invalid. */
export function parseTimeout(value: string | string[] | undefined): number {
  if (typeof value !== "string") return NO_DEADLINE;
  // A client sends the same value call after call (ghz, Envoy's fixed timeout): one entry saves
  // the regular expression.
  if (value === lastTimeout.value) return lastTimeout.ms;
  const ms = timeoutMs(value);
  lastTimeout = { value, ms };
  return ms;
}

let lastTimeout = { value: "", ms: NO_DEADLINE };

function timeoutMs(value: string): number {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) return NO_DEADLINE;
  return Number(match[1]) * TIMEOUT_UNIT_MS[match[2]!]!;
}
