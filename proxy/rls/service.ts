/**
 * `ShouldRateLimit` as envoyproxy/ratelimit answers it (src/service/ratelimit.go and its Redis
 * fixed-window cache): each descriptor's limit (`match.ts`), `replaces` and `unlimited` applied,
 * then one counter per limited descriptor and wall-clock window of its unit, `hits_addend` added
 * (the descriptor's own, else the request's, at least 1); OVER_LIMIT once the count passes
 * `requests_per_unit`, OK in shadow or quota mode; the x-ratelimit-* headers from the descriptor
 * with the least remaining. Store failures follow the configured failure mode.
 */
import type { BucketStore, WindowHit } from "../ratelimit/store.ts";
import { type RlsConfig, type RlsLimit, UNIT_SECONDS } from "./config.ts";
import { limitFor, type RequestDescriptor } from "./match.ts";
import type { RlsMetrics } from "./metrics.ts";

export interface RlsRequest {
  readonly domain: string;
  readonly descriptors: readonly (RequestDescriptor & { readonly hitsAddend?: number })[];
  readonly hitsAddend: number;
}

export type RlsCode = "OK" | "OVER_LIMIT";

export interface RlsStatus {
  readonly code: RlsCode;
  readonly currentLimit?: {
    readonly requestsPerUnit: number;
    readonly unit: string;
    readonly name: string;
  };
  readonly limitRemaining: number;
  readonly durationUntilResetSeconds?: number;
}

export interface RlsResponse {
  readonly overallCode: RlsCode;
  readonly statuses: readonly RlsStatus[];
  readonly responseHeaders: readonly { readonly key: string; readonly value: string }[];
}

/** What the gRPC layer turns into a status: INVALID_ARGUMENT or UNAVAILABLE. */
export type RlsOutcome =
  | { ok: true; response: RlsResponse }
  | { ok: false; code: "invalid" | "unavailable"; message: string };

/** `error`: answer UNAVAILABLE (Envoy's failure_mode_deny decides); `allow`/`deny`: answer OK/OVER_LIMIT. */
export type RlsFailureMode = "error" | "allow" | "deny";

export interface RlsServiceOptions {
  config(): RlsConfig | undefined;
  store: BucketStore;
  /** Add x-ratelimit-limit/-remaining/-reset to the response (LIMIT_RESPONSE_HEADERS_ENABLED). */
  responseHeaders: boolean;
  failureMode: RlsFailureMode;
  /** Wall-clock milliseconds: windows are aligned to the epoch, as envoyproxy/ratelimit's. */
  now?: () => number;
  onStoreError?: (error: unknown) => void;
  metrics?: RlsMetrics;
}

const MAX_UINT32 = 4_294_967_295;
export const RESPONSE_HEADERS = {
  limit: "x-ratelimit-limit",
  remaining: "x-ratelimit-remaining",
  reset: "x-ratelimit-reset",
} as const;

/** The decision function the gRPC handler calls. */
export function createRlsService(
  options: RlsServiceOptions,
): (request: RlsRequest) => Promise<RlsOutcome> {
  const now = options.now ?? Date.now;
  return async function shouldRateLimit(request) {
    if (request.domain === "" || request.descriptors.length === 0) {
      options.metrics?.failed("invalid");
      const message = request.domain === ""
        ? "rate limit domain must not be empty"
        : "rate limit descriptor list must not be empty";
      return { ok: false, code: "invalid", message };
    }
    const config = options.config();
    if (config === undefined) {
      options.metrics?.failed("no_config");
      return { ok: false, code: "unavailable", message: "no rate limit configuration loaded" };
    }
    const limits = limitsToCheck(config, request);
    const nowSeconds = Math.floor(now() / 1000);
    const hits: WindowHit[] = [];
    const counted: number[] = [];
    for (const [i, limit] of limits.entries()) {
      if (limit === undefined || limit.unlimited) continue;
      const windowSeconds = UNIT_SECONDS[limit.unit];
      const start = Math.floor(nowSeconds / windowSeconds) * windowSeconds;
      const entries = request.descriptors[i]!.entries.map((e) => `${e.key}_${e.value}_`).join("");
      hits.push({
        key: `${request.domain}_${entries}${start}`,
        hits: hitsOf(request, i),
        windowSeconds,
      });
      counted.push(i);
    }
    let counts: readonly number[];
    try {
      counts = await options.store.addHits(hits);
    } catch (error) {
      options.onStoreError?.(error);
      options.metrics?.failed("store");
      if (options.failureMode === "error") {
        return { ok: false, code: "unavailable", message: "rate limit store unavailable" };
      }
      return { ok: true, response: failed(request, options.failureMode) };
    }
    const after = new Map(counted.map((index, n) => [index, counts[n]!]));
    if (options.metrics !== undefined) {
      for (const [index, count] of after) {
        observe(options.metrics, request, index, limits[index]!, count);
      }
    }
    const statuses = limits.map((limit, i): RlsStatus => {
      if (limit === undefined) return { code: "OK", limitRemaining: 0 };
      if (limit.unlimited) return { code: "OK", limitRemaining: MAX_UINT32 };
      return statusOf(limit, after.get(i)!, nowSeconds);
    });
    return { ok: true, response: respond(statuses, limits, options.responseHeaders, nowSeconds) };
  };
}

/** Each descriptor's limit; limits named by another matched limit's `replaces` are dropped. */
function limitsToCheck(config: RlsConfig, request: RlsRequest): (RlsLimit | undefined)[] {
  const limits = request.descriptors.map((d) => limitFor(config, request.domain, d));
  const replaced = new Set(limits.flatMap((limit) => limit?.replaces ?? []));
  return limits.map((limit) =>
    limit !== undefined && !limit.unlimited && limit.name !== "" && replaced.has(limit.name)
      ? undefined
      : limit
  );
}

function observe(
  metrics: RlsMetrics,
  request: RlsRequest,
  index: number,
  limit: RlsLimit,
  count: number,
): void {
  const key = limit.detailedMetric
    ? `${request.domain}.${
      request.descriptors[index]!.entries.map((e) => `${e.key}_${e.value}`).join(".")
    }`
    : limit.fullKey;
  const over = count > limit.requestsPerUnit;
  const result = !over ? "within_limit" : limit.shadowMode ? "shadow_mode" : "over_limit";
  metrics.hits(key, result, hitsOf(request, index));
}

function hitsOf(request: RlsRequest, index: number): number {
  return request.descriptors[index]!.hitsAddend ?? Math.max(1, request.hitsAddend);
}

function statusOf(limit: RlsLimit, count: number, nowSeconds: number): RlsStatus {
  const over = count > limit.requestsPerUnit;
  return {
    code: over && !limit.shadowMode ? "OVER_LIMIT" : "OK",
    currentLimit: { requestsPerUnit: limit.requestsPerUnit, unit: limit.unit, name: limit.name },
    limitRemaining: over ? 0 : limit.requestsPerUnit - count,
    durationUntilResetSeconds: resetIn(limit, nowSeconds),
  };
}

function resetIn(limit: RlsLimit, nowSeconds: number): number {
  const windowSeconds = UNIT_SECONDS[limit.unit];
  return windowSeconds - (nowSeconds % windowSeconds);
}

function respond(
  statuses: RlsStatus[],
  limits: readonly (RlsLimit | undefined)[],
  headers: boolean,
  nowSeconds: number,
): RlsResponse {
  let overall: RlsCode = "OK";
  let minimum: { status: RlsStatus; limit: RlsLimit } | undefined;
  for (const [i, status] of statuses.entries()) {
    const limit = limits[i];
    if (limit === undefined || limit.unlimited) continue;
    if (status.limitRemaining < (minimum?.status.limitRemaining ?? MAX_UINT32)) {
      minimum = { status, limit };
    }
    if (status.code !== "OVER_LIMIT") continue;
    if (limit.quotaMode) {
      const { durationUntilResetSeconds: _, ...rest } = status;
      statuses[i] = { ...rest, code: "OK" };
    } else {
      overall = "OVER_LIMIT";
      minimum = { status, limit };
    }
  }
  const responseHeaders = headers && minimum !== undefined
    ? [
      { key: RESPONSE_HEADERS.limit, value: String(minimum.limit.requestsPerUnit) },
      { key: RESPONSE_HEADERS.remaining, value: String(minimum.status.limitRemaining) },
      { key: RESPONSE_HEADERS.reset, value: String(resetIn(minimum.limit, nowSeconds)) },
    ]
    : [];
  return { overallCode: overall, statuses, responseHeaders };
}

function failed(request: RlsRequest, mode: "allow" | "deny"): RlsResponse {
  const code: RlsCode = mode === "allow" ? "OK" : "OVER_LIMIT";
  return {
    overallCode: code,
    statuses: request.descriptors.map(() => ({ code, limitRemaining: 0 })),
    responseHeaders: [],
  };
}
