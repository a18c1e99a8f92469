/**
 * The limits of apigw's HTTP/2 layer an operator tunes, as flags of `apigw authz`: they apply to
 * both gRPC listeners (`--grpc-listen`, `--rls-listen`) on `--grpc-http2 apigw`; `node` keeps
 * node:http2's own. The defaults are the layer's (`proxy/grpc/h2_unary_server.ts`), and
 * docs/grpc-authz.md ("Server") says what each limit answers.
 */
import type { Result, StringSpec } from "../config.ts";
import { H2_DEFAULT_LIMITS, H2_DEFAULT_MAX_CONNECTIONS } from "../proxy/grpc/h2_unary_server.ts";
import type { ListenerLimits } from "../proxy/grpc/unary_types.ts";
import { byteCount } from "./limit_options.ts";

/** The largest SETTINGS value (RFC 9113 §6.5.1 values are 32-bit; windows stop at 2^31-1). */
const MAX_SETTING = 2 ** 31 - 1;
/** Below this, a timeout ends healthy connections on a busy node (the layer ticks every ≥ 20 ms). */
const MIN_TIMEOUT_MS = 100;
/** About 24.8 days: far beyond any useful timeout. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** An integer in [min, max]. */
function intIn(min: number, max: number): (raw: string) => Result<number, string> {
  return (raw) => {
    const value = Number(raw);
    return /^\d+$/.test(raw) && Number.isSafeInteger(value) && value >= min && value <= max
      ? { ok: true, value }
      : { ok: false, error: `"${raw}" is not an integer from ${min} to ${max}` };
  };
}

/** A size like 16384 or 16Ki in [min, max] bytes. */
function bytesIn(min: number, max: number): (raw: string) => Result<number, string> {
  return (raw) => {
    const parsed = byteCount(raw);
    if (!parsed.ok) return parsed;
    return parsed.value >= min && parsed.value <= max
      ? parsed
      : { ok: false, error: `"${raw}" is not from ${min} to ${max} bytes` };
  };
}

function timeout(help: string, fallback: number): StringSpec<number> & { default: string } {
  return {
    type: "string",
    help,
    default: String(fallback),
    parse: intIn(MIN_TIMEOUT_MS, MAX_TIMEOUT_MS),
  };
}

export const GRPC_LIMIT_OPTIONS = {
  "grpc-max-connections": {
    type: "string",
    help:
      "Connections each gRPC listener serves at once (apigw HTTP/2 layer); one more is closed when accepted",
    default: String(H2_DEFAULT_MAX_CONNECTIONS),
    parse: intIn(1, 1_000_000),
  },
  "grpc-max-concurrent-streams": {
    type: "string",
    help:
      "SETTINGS_MAX_CONCURRENT_STREAMS of a gRPC connection (apigw HTTP/2 layer), reset calls still running included; one more stream gets REFUSED_STREAM",
    default: String(H2_DEFAULT_LIMITS.maxConcurrentStreams),
    parse: intIn(1, MAX_SETTING),
  },
  "grpc-max-header-list-bytes": {
    type: "string",
    help:
      "SETTINGS_MAX_HEADER_LIST_SIZE of a gRPC connection (apigw HTTP/2 layer): a larger request gets 431, a header block over twice it GOAWAY",
    default: String(H2_DEFAULT_LIMITS.maxHeaderListBytes),
    parse: bytesIn(1024, 1024 * 1024),
  },
  "grpc-handshake-timeout-ms": timeout(
    "Time a new gRPC connection has for the preface, its SETTINGS and the ACK of ours (apigw HTTP/2 layer); then GOAWAY SETTINGS_TIMEOUT",
    H2_DEFAULT_LIMITS.handshakeTimeoutMs,
  ),
  "grpc-idle-timeout-ms": timeout(
    "Time a gRPC connection without calls stays open (apigw HTTP/2 layer); then a graceful GOAWAY",
    H2_DEFAULT_LIMITS.idleTimeoutMs,
  ),
  "grpc-request-timeout-ms": timeout(
    "Time a gRPC call's request has to arrive in full after its stream opened (apigw HTTP/2 layer); then RST_STREAM CANCEL",
    H2_DEFAULT_LIMITS.requestTimeoutMs,
  ),
  "grpc-write-timeout-ms": timeout(
    "Time a write to a gRPC client may wait for it to read, or an answer for its flow-control windows (apigw HTTP/2 layer); then the connection is closed, or the stream reset",
    H2_DEFAULT_LIMITS.writeTimeoutMs,
  ),
} as const;

/** The listener limits the flags give. */
export function grpcListenerLimits(options: {
  "grpc-max-connections": number;
  "grpc-max-concurrent-streams": number;
  "grpc-max-header-list-bytes": number;
  "grpc-handshake-timeout-ms": number;
  "grpc-idle-timeout-ms": number;
  "grpc-request-timeout-ms": number;
  "grpc-write-timeout-ms": number;
}): ListenerLimits {
  return {
    maxConnections: options["grpc-max-connections"],
    http2Limits: {
      maxConcurrentStreams: options["grpc-max-concurrent-streams"],
      maxHeaderListBytes: options["grpc-max-header-list-bytes"],
      handshakeTimeoutMs: options["grpc-handshake-timeout-ms"],
      idleTimeoutMs: options["grpc-idle-timeout-ms"],
      requestTimeoutMs: options["grpc-request-timeout-ms"],
      writeTimeoutMs: options["grpc-write-timeout-ms"],
    },
  };
}
