/**
 * `spec.global` compiled for decisions (apigw): the buckets of each valid RateLimit with the
 * defaults of the translation applied (`tokenBucket`, `enforce` from `spec.enforce`,
 * failure mode `local`), and the Pod addresses each RateLimit selects, so a check is matched to
 * the RateLimits of the workload whose proxy sent it. Pure: the caller supplies the objects.
 */
import type {
  FailureMode,
  GlobalAlgorithm,
  GlobalBucketConfig,
  GlobalKey,
} from "../../api/ratelimit/v1alpha1.ts";
import { parseGoDuration } from "../../api/duration.ts";
import type { KubeObject } from "../../api/meta.ts";
import { isRecord, stringMap } from "./_json.ts";
import { parseRateLimit } from "./rate_limit.ts";
import { validateRateLimit } from "../../api/validation/ratelimit.ts";

/** A token bucket of a global limit; `fillIntervalMs` may have a fraction. */
export interface GlobalTokenBucket {
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalMs: number;
}

/** One bucket of a global limit, named for `RateLimit-Policy` and the metrics. */
export interface GlobalBucket {
  /** `default` or the index in `spec.global.buckets`. */
  name: string;
  /** `namespace/name/name`: the policy name in headers and Redis keys. */
  policy: string;
  bucket: GlobalTokenBucket;
  failureMode: FailureMode;
  path?: string;
  headers: Readonly<Record<string, string>>;
}

export interface GlobalLimit {
  /** `namespace/name` of the RateLimit. */
  id: string;
  namespace: string;
  selector: Readonly<Record<string, string>>;
  key: GlobalKey;
  algorithm: GlobalAlgorithm;
  enforce: boolean;
  responseHeaders: boolean;
  defaultBucket: GlobalBucket;
  buckets: readonly GlobalBucket[];
}

export interface CompiledGlobalLimits {
  limits: readonly GlobalLimit[];
  /** The limits of the workload at a Pod address (IPv4 or IPv6, as the Pod status has it). */
  byAddress: ReadonlyMap<string, readonly GlobalLimit[]>;
  problems: { object: string; message: string }[];
}

/** The global limits of every RateLimit in `objects` and the Pod addresses they select. */
export function compileGlobalLimits(objects: readonly unknown[]): CompiledGlobalLimits {
  const limits: GlobalLimit[] = [];
  const problems: { object: string; message: string }[] = [];
  for (const object of objects) {
    if (!isKubeObject(object) || object.kind !== "RateLimit") continue;
    const label = `RateLimit ${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;
    const parsed = parseRateLimit(object);
    if (!parsed.ok) {
      problems.push({ object: label, message: parsed.error });
      continue;
    }
    const model = parsed.value;
    if (model.global === undefined) continue;
    const spec = {
      selectorLabels: model.selectorLabels,
      local: { defaultBucket: model.defaultBucket, buckets: model.buckets },
      global: model.global,
    };
    // No Pods in the facts: the bucket and global checks run, the Pod checks are skipped.
    const failure = validateRateLimit({ metadata: {}, spec }, {}).failures[0];
    if (failure !== undefined) {
      problems.push({ object: label, message: `${failure.attributePath}: ${failure.message}` });
      continue;
    }
    const id = `${model.namespace}/${model.name}`;
    const global = model.global;
    const failureMode = global.failureMode ?? "local";
    limits.push({
      id,
      namespace: model.namespace,
      selector: model.selectorLabels,
      key: global.key,
      algorithm: global.algorithm ?? "tokenBucket",
      enforce: global.enforce ?? model.enforce,
      responseHeaders: model.enableResponseHeaders,
      defaultBucket: bucketOf(id, "default", { bucket: global.defaultBucket }, failureMode),
      buckets: (global.buckets ?? []).map((config, i) =>
        bucketOf(id, String(i), config, failureMode)
      ),
    });
  }
  return { limits, byAddress: addresses(objects, limits), problems };
}

function bucketOf(
  id: string,
  name: string,
  config: Pick<GlobalBucketConfig, "bucket" | "path" | "headers" | "failureMode">,
  failureMode: FailureMode,
): GlobalBucket {
  const interval = parseGoDuration(config.bucket.fillInterval);
  return {
    name,
    policy: `${id}/${name}`,
    bucket: {
      maxTokens: config.bucket.maxTokens,
      tokensPerFill: config.bucket.tokensPerFill,
      // Checked by validation; a 1s fallback only keeps the type total.
      fillIntervalMs: interval.ok ? Number(interval.value) / 1e6 : 1000,
    },
    failureMode: config.failureMode ?? failureMode,
    ...(config.path !== undefined && config.path !== "" ? { path: config.path } : {}),
    headers: config.headers ?? {},
  };
}

function addresses(
  objects: readonly unknown[],
  limits: readonly GlobalLimit[],
): Map<string, GlobalLimit[]> {
  const byAddress = new Map<string, GlobalLimit[]>();
  if (limits.length === 0) return byAddress;
  for (const object of objects) {
    if (!isKubeObject(object) || object.kind !== "Pod" || object.apiVersion !== "v1") continue;
    const labels = stringMap(object.metadata.labels);
    const selecting = limits.filter((limit) =>
      limit.namespace === (object.metadata.namespace ?? "default") &&
      Object.entries(limit.selector).every(([key, value]) => labels[key] === value)
    );
    if (selecting.length === 0) continue;
    for (const ip of podIPs(object)) {
      byAddress.set(ip, [...(byAddress.get(ip) ?? []), ...selecting]);
    }
  }
  return byAddress;
}

function podIPs(pod: KubeObject): string[] {
  const status = isRecord(pod.status) ? pod.status : {};
  const ips = new Set<string>();
  if (typeof status.podIP === "string" && status.podIP !== "") ips.add(status.podIP);
  if (Array.isArray(status.podIPs)) {
    for (const entry of status.podIPs) {
      if (isRecord(entry) && typeof entry.ip === "string" && entry.ip !== "") ips.add(entry.ip);
    }
  }
  return [...ips];
}

function isKubeObject(value: unknown): value is KubeObject {
  return isRecord(value) && typeof value.apiVersion === "string" &&
    typeof value.kind === "string" && isRecord(value.metadata);
}

/** What `selectBucket` reads of a bucket. */
export interface SelectableBucket {
  path?: string;
  headers: Readonly<Record<string, string>>;
}

/** What a bucket match and a key read from a request. */
export interface LimitedRequest {
  method: string;
  /** `http` or `https`, where the front end knows it (the embedded gateway). */
  scheme?: string;
  host: string;
  /** The canonical path, without query. */
  path: string;
  headers: { get(name: string): string | null };
  /** The address the check came from (the workload's proxy). */
  peer: string;
  /** The payload of the token the pipeline verified, if any. */
  claims?: Readonly<Record<string, unknown>>;
}

/**
 * The bucket of a request: the first extra bucket whose path and headers all match (DP-RL-2),
 * else the default bucket. Paths compare with the canonical path, query excluded, so a query
 * cannot move a request out of its bucket; `path`, `method`, `scheme` and `:authority` read the
 * request. Global and local (`proxy/ratelimit/local.ts`) buckets select alike.
 */
export function selectBucket<B extends SelectableBucket>(
  limit: { readonly buckets: readonly B[]; readonly defaultBucket: B },
  request: LimitedRequest,
): B {
  for (const bucket of limit.buckets) {
    if (bucket.path !== undefined && bucket.path !== request.path) continue;
    let matches = true;
    for (const name in bucket.headers) {
      if (headerValue(request, name) !== bucket.headers[name]) {
        matches = false;
        break;
      }
    }
    if (matches) return bucket;
  }
  return limit.defaultBucket;
}

function headerValue(request: LimitedRequest, name: string): string | null {
  switch (name) {
    case "path":
    case ":path":
      return request.path;
    case "method":
    case ":method":
      return request.method;
    case "scheme":
    case ":scheme":
      return request.scheme ?? null;
    case ":authority":
      return request.host;
    default:
      return request.headers.get(name);
  }
}

/**
 * Who the request counts against: `header:<value>`, `claim:<value>` or `ip:<address>`. A missing
 * header or claim (an anonymous caller) falls back to the client address (§8 #32), so leaving the
 * key out never escapes the limit.
 */
export function identityOf(key: GlobalKey, request: LimitedRequest): string {
  if (key.header !== undefined) {
    const value = request.headers.get(key.header.name);
    if (value !== null && value !== "") return `header:${value}`;
  } else if (key.claim !== undefined) {
    const value = claimValue(request.claims, key.claim.name);
    if (value !== undefined) return `claim:${value}`;
  }
  return `ip:${clientAddress(request, key.clientAddress?.trustedHops ?? 0)}`;
}

/**
 * The client address with `trustedHops` proxies on the right of `x-forwarded-for` trusted
 * (Envoy `xff_num_trusted_hops`): the entry left of them; the leftmost when there are fewer;
 * the connection peer without the header. Entries left of the pick are the client's to forge.
 */
export function clientAddress(request: LimitedRequest, trustedHops: number): string {
  const header = request.headers.get("x-forwarded-for");
  if (header === null || header.trim() === "") return request.peer;
  const hops = header.split(",").map((hop) => hop.trim()).filter((hop) => hop !== "");
  const index = Math.max(0, hops.length - 1 - trustedHops);
  return hops[index] ?? request.peer;
}

function claimValue(
  claims: Readonly<Record<string, unknown>> | undefined,
  name: string,
): string | undefined {
  let value: unknown = claims;
  for (const part of name.split(".")) {
    if (!isRecord(value)) return undefined;
    value = value[part];
  }
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}
