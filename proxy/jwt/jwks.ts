/**
 * The JWKS manager (docs/spec/dataplane.md DP-JWKS-1, §4.2, §9 item 3): one key set per JWKS URI, served
 * stale while a refresh runs, refetched at most once per cooldown on an unknown `kid` (failed
 * fetches count too), unknown kids cached negatively, and fetches capped in time and size.
 * Unlike jose's `createRemoteJWKSet`, an IdP outage does not reject tokens until the last good
 * set is older than `maxStaleMs`.
 */
import { inSpan, SpanKind, tracingOn } from "../../lib/tracing.ts";
import { createLocalJWKSet, type JWTVerifyGetKey } from "jose";
import type { Logger } from "../../lib/log.ts";
import { readCapped } from "../../lib/http.ts";

export interface KeySet {
  getKey: JWTVerifyGetKey;
  kids: ReadonlySet<string>;
  /** When the set was fetched (ms, the manager's clock). */
  fetchedAt: number;
}

export type KeySetResult =
  | { ok: true; keys: KeySet }
  | { ok: false; error: string; /** The caller's deadline passed first. */ late?: true };

export type DiscoveryResult =
  | { ok: true; jwksUri: string }
  | { ok: false; error: string; late?: true };

interface Discovery {
  known?: { jwksUri: string; at: number };
  inflight?: Promise<DiscoveryResult> | undefined;
  failures: number;
  retryAt: number;
}

/**
 * When the caller must have its answer, on the `performance.now()` clock. A timer exists only
 * while a caller actually waits for a fetch, never on the cached path.
 */
export interface Deadline {
  at: number;
}

/** What the manager reports; `proxy/metrics.ts` implements it. */
export interface JwksObserver {
  jwksFetch(uri: string, outcome: "ok" | "error", seconds: number, keys?: number): void;
}

export interface JwksOptions {
  fetch?: typeof fetch;
  /** The clock (ms); tests pass a controllable one. */
  now?: () => number;
  /** One fetch, connect to last byte (jose's default). */
  timeoutMs?: number;
  /** Age at which a set is refreshed in the background; `Cache-Control: max-age` may lower it. */
  refreshMs?: number;
  /** Age after which a set is no longer served when it cannot be refetched (fail closed). */
  maxStaleMs?: number;
  /** At most one unknown-kid refetch per URI in this window, whether the last fetch failed or not. */
  cooldownMs?: number;
  /** How long a kid that was not found after a refetch is answered from memory. */
  unknownKidTtlMs?: number;
  maxBytes?: number;
  maxKeys?: number;
  /** First and largest pause after failed fetches (doubled per failure, with jitter). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  observer?: JwksObserver;
  log?: Logger;
}

export interface JwksManager {
  /** The usable set of `uri`: fetched on first use, refreshed in the background later. */
  keys(uri: string, deadline?: Deadline): Promise<KeySetResult>;
  /** A newer set that may hold `kid`, or undefined when the cooldown or negative cache says no. */
  refreshForUnknownKid(
    uri: string,
    kid: string | undefined,
    deadline?: Deadline,
  ): Promise<KeySet | undefined>;
  /**
   * DP-JWKS-1 item 5: the `jwks_uri` of an issuer configured without one, by OpenID Connect
   * discovery (`<issuer>/.well-known/openid-configuration`), with the same caps as key sets.
   */
  discover(issuer: string, deadline?: Deadline): Promise<DiscoveryResult>;
  /** Starts fetching sets not fetched yet, so first requests do not wait. */
  warm(uris: readonly string[]): void;
  /** Aborts running fetches and waits for them. */
  close(): Promise<void>;
}

const DEFAULTS = {
  timeoutMs: 5_000,
  refreshMs: 600_000,
  maxStaleMs: 24 * 3_600_000,
  cooldownMs: 30_000,
  unknownKidTtlMs: 60_000,
  maxBytes: 1024 * 1024,
  maxKeys: 100,
  minBackoffMs: 1_000,
  maxBackoffMs: 300_000,
};

interface Entry {
  set?: KeySet;
  inflight?: Promise<KeySetResult> | undefined;
  lastAttempt: number;
  failures: number;
  retryAt: number;
  refreshAt: number;
  unknownKids: Map<string, number>;
}

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];

/** Creates a manager; nothing is fetched before the first `keys()` or `warm()`. */
export function createJwksManager(options: JwksOptions = {}): JwksManager {
  const o = { ...DEFAULTS, ...options };
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const closing = new AbortController();
  const running = new Set<Promise<unknown>>();

  function entryOf(uri: string): Entry {
    let entry = entries.get(uri);
    if (entry === undefined) {
      entry = {
        lastAttempt: -Infinity,
        failures: 0,
        retryAt: -Infinity,
        refreshAt: Infinity,
        unknownKids: new Map(),
      };
      entries.set(uri, entry);
    }
    return entry;
  }

  function start(uri: string, entry: Entry): Promise<KeySetResult> {
    if (entry.inflight !== undefined) return entry.inflight;
    const started = now();
    const clock = performance.now();
    entry.lastAttempt = started;
    const fetched = tracingOn()
      ? inSpan("apigw.jwks.fetch", {
        kind: SpanKind.CLIENT,
        attributes: { "url.full": uri },
      }, (span) =>
        fetchKeySet(uri).then((result) => {
          span?.setAttribute("apigw.jwks.outcome", result.ok ? "ok" : "error");
          return result;
        }))
      : fetchKeySet(uri);
    const inflight = fetched.then((result) => {
      const seconds = (performance.now() - clock) / 1000;
      if (result.ok) {
        const keys = { ...result.keys, fetchedAt: started };
        entry.set = keys;
        entry.failures = 0;
        entry.retryAt = -Infinity;
        const every = Math.min(o.refreshMs, result.maxAgeMs ?? Infinity);
        entry.refreshAt = started + every - Math.random() * every * 0.1;
        entry.unknownKids.clear();
        o.observer?.jwksFetch(uri, "ok", seconds, keys.kids.size);
        return { ok: true as const, keys };
      }
      entry.failures++;
      const backoff = Math.min(o.maxBackoffMs, o.minBackoffMs * 2 ** (entry.failures - 1));
      entry.retryAt = started + backoff * (0.5 + Math.random() / 2);
      o.observer?.jwksFetch(uri, "error", seconds);
      o.log?.warn("Failed to fetch JWKS", { jwksUri: uri, error: result.error });
      return result;
    }).finally(() => {
      entry.inflight = undefined;
      running.delete(inflight);
    });
    entry.inflight = inflight;
    running.add(inflight);
    return inflight;
  }

  /** One capped GET of a JSON document (DP-JWKS-1 item 3); the caller interprets it. */
  async function fetchJson(
    uri: string,
    what: string,
    accept: string,
  ): Promise<{ ok: true; json: unknown; headers: Headers } | { ok: false; error: string }> {
    const allowed = checkUri(uri, what);
    if (allowed !== undefined) return { ok: false, error: allowed };
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new Error(`Timed out after ${o.timeoutMs} ms`)),
      o.timeoutMs,
    );
    const onClose = () => abort.abort(new Error("JWKS manager closed"));
    closing.signal.addEventListener("abort", onClose);
    try {
      const response = await doFetch(uri, {
        redirect: "manual",
        signal: abort.signal,
        headers: { accept },
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        return { ok: false, error: `${what} endpoint answered ${response.status}` };
      }
      if (!/\bjson\b|\+json\b/.test(response.headers.get("content-type") ?? "")) {
        await response.body?.cancel();
        return { ok: false, error: `${what} response is not JSON` };
      }
      const text = await readCapped(response, o.maxBytes);
      if (text === undefined) return { ok: false, error: `${what} exceeds ${o.maxBytes} bytes` };
      return { ok: true, json: JSON.parse(text), headers: response.headers };
    } catch (error) {
      const cause = abort.signal.aborted ? abort.signal.reason : error;
      return { ok: false, error: cause instanceof Error ? cause.message : String(cause) };
    } finally {
      clearTimeout(timer);
      closing.signal.removeEventListener("abort", onClose);
    }
  }

  async function fetchKeySet(
    uri: string,
  ): Promise<
    { ok: true; keys: Omit<KeySet, "fetchedAt">; maxAgeMs?: number } | {
      ok: false;
      error: string;
    }
  > {
    const fetched = await fetchJson(uri, "JWKS", "application/json, application/jwk-set+json");
    if (!fetched.ok) return fetched;
    const keys = parseKeys(fetched.json, o.maxKeys);
    if (typeof keys === "string") return { ok: false, error: keys };
    const kids = new Set(keys.flatMap((k) => typeof k.kid === "string" ? [k.kid] : []));
    const maxAge = /max-age=(\d+)/.exec(fetched.headers.get("cache-control") ?? "");
    return {
      ok: true,
      keys: { getKey: createLocalJWKSet({ keys }), kids },
      ...(maxAge ? { maxAgeMs: Math.max(1_000, Number(maxAge[1]) * 1000) } : {}),
    };
  }

  /**
   * OpenID Connect Discovery 1.0 §4: the issuer's `jwks_uri`, from a document whose `issuer`
   * must equal the configured one exactly (§4.3), cached like a key set (refreshed after
   * `refreshMs`, the last good answer kept up to `maxStaleMs`, failures backed off).
   */
  const discovered = new Map<string, Discovery>();
  function discover(issuer: string, deadline?: Deadline): Promise<DiscoveryResult> {
    let entry = discovered.get(issuer);
    if (entry === undefined) {
      entry = { failures: 0, retryAt: -Infinity };
      discovered.set(issuer, entry);
    }
    const t = now();
    const known = entry.known;
    if (known !== undefined && t - known.at <= o.maxStaleMs) {
      if (t - known.at >= o.refreshMs && t >= entry.retryAt) void startDiscovery(issuer, entry);
      return Promise.resolve({ ok: true, jwksUri: known.jwksUri });
    }
    if (entry.inflight === undefined && t < entry.retryAt) {
      return Promise.resolve({
        ok: false,
        error: `OpenID configuration of "${issuer}" could not be fetched; retrying later`,
      });
    }
    return raceDeadline(startDiscovery(issuer, entry), deadline);
  }

  function startDiscovery(issuer: string, entry: Discovery): Promise<DiscoveryResult> {
    if (entry.inflight !== undefined) return entry.inflight;
    const started = now();
    const uri = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const inflight = fetchJson(uri, "OpenID configuration", "application/json").then(
      (fetched): DiscoveryResult => {
        const result = fetched.ok ? jwksUriOf(fetched.json, issuer) : fetched;
        if (result.ok) {
          entry.known = { jwksUri: result.jwksUri, at: started };
          entry.failures = 0;
          entry.retryAt = -Infinity;
          return result;
        }
        entry.failures++;
        const backoff = Math.min(o.maxBackoffMs, o.minBackoffMs * 2 ** (entry.failures - 1));
        entry.retryAt = started + backoff * (0.5 + Math.random() / 2);
        o.log?.warn("Failed OpenID Connect discovery", { issuer, error: result.error });
        return result;
      },
    ).finally(() => {
      entry.inflight = undefined;
      running.delete(inflight);
    });
    entry.inflight = inflight;
    running.add(inflight);
    return inflight;
  }

  return {
    discover,
    async keys(uri, deadline) {
      const entry = entryOf(uri);
      const t = now();
      const set = entry.set;
      if (set !== undefined && t - set.fetchedAt <= o.maxStaleMs) {
        if (t >= entry.refreshAt && t >= entry.retryAt) void start(uri, entry);
        return { ok: true, keys: set };
      }
      if (entry.inflight === undefined && t < entry.retryAt) {
        return {
          ok: false,
          error: set === undefined
            ? `Keys of "${uri}" could not be fetched; retrying later`
            : `Keys of "${uri}" are older than the stale bound and could not be refetched`,
        };
      }
      const result = await raceDeadline(start(uri, entry), deadline);
      if (result.ok || set === undefined || result.late) return result;
      return {
        ok: false,
        error:
          `Keys of "${uri}" are older than the stale bound and could not be refetched: ${result.error}`,
      };
    },
    async refreshForUnknownKid(uri, kid, deadline) {
      const entry = entryOf(uri);
      const key = kid ?? "";
      const t = now();
      if ((entry.unknownKids.get(key) ?? -Infinity) > t) return undefined;
      const inCooldown = t - entry.lastAttempt < o.cooldownMs;
      // Only a fetch that lacked the kid caches it negatively: a kid seen first inside the
      // cooldown (a rotation right after a fetch) is retried once the cooldown ends.
      if (entry.inflight === undefined && inCooldown) return undefined;
      const result = await raceDeadline(start(uri, entry), deadline);
      if (result.ok && (kid === undefined || result.keys.kids.has(kid))) return result.keys;
      entry.unknownKids.set(key, now() + o.unknownKidTtlMs);
      return undefined;
    },
    warm(uris) {
      for (const uri of uris) {
        const entry = entryOf(uri);
        if (entry.set === undefined && entry.inflight === undefined) void start(uri, entry);
      }
    },
    async close() {
      closing.abort();
      await Promise.allSettled([...running]);
    },
  };
}

// DP-JWKS-1 item 3: HTTPS, except in-cluster `*.svc` names and loopback (no network hop).
function checkUri(uri: string, what = "JWKS"): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `${what} URI "${uri}" is not a URL`;
  }
  if (url.protocol === "https:") return undefined;
  const host = url.hostname;
  const local = host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]" ||
    host.endsWith(".svc") || host.endsWith(".svc.cluster.local");
  return url.protocol === "http:" && local
    ? undefined
    : `${what} URI "${uri}" must use https outside the cluster`;
}

/** The `jwks_uri` of a discovery document, which must be about `issuer` (OIDC Discovery §4.3). */
function jwksUriOf(document: unknown, issuer: string): DiscoveryResult {
  if (typeof document !== "object" || document === null) {
    return { ok: false, error: "OpenID configuration is not a JSON object" };
  }
  const fields = document as Record<string, unknown>;
  if (fields.issuer !== issuer) {
    return {
      ok: false,
      error: `OpenID configuration names issuer ${JSON.stringify(fields.issuer)}, not "${issuer}"`,
    };
  }
  if (typeof fields.jwks_uri !== "string" || fields.jwks_uri === "") {
    return { ok: false, error: "OpenID configuration has no jwks_uri" };
  }
  const rejected = checkUri(fields.jwks_uri);
  return rejected === undefined
    ? { ok: true, jwksUri: fields.jwks_uri }
    : { ok: false, error: rejected };
}

function parseKeys(value: unknown, maxKeys: number): Record<string, unknown>[] | string {
  if (typeof value !== "object" || value === null || !("keys" in value)) {
    return "JWKS has no keys array";
  }
  const keys: unknown = value.keys;
  if (!Array.isArray(keys)) return "JWKS has no keys array";
  if (keys.length > maxKeys) return `JWKS has more than ${maxKeys} keys`;
  const out: Record<string, unknown>[] = [];
  for (const key of keys) {
    if (typeof key !== "object" || key === null || Array.isArray(key)) {
      return "JWKS key is not an object";
    }
    const jwk: Record<string, unknown> = { ...key };
    if (typeof jwk.kty !== "string") return "JWKS key has no kty";
    if (PRIVATE_MEMBERS.some((m) => m in jwk)) {
      return "JWKS holds private or symmetric key material";
    }
    out.push(jwk);
  }
  return out;
}

function raceDeadline<T extends KeySetResult | DiscoveryResult>(
  work: Promise<T>,
  deadline: Deadline | undefined,
): Promise<T | { ok: false; error: string; late: true }> {
  if (deadline === undefined) return work;
  const late = { ok: false as const, error: "Decision deadline passed", late: true as const };
  const remaining = deadline.at - performance.now();
  if (remaining <= 0) return Promise.resolve(late);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(late), remaining);
    work.then((result) => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}
