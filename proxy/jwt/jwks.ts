/**
 * The JWKS manager (docs/spec/dataplane.md DP-JWKS-1, §4.2, §9 item 3): one key set per JWKS URI, served
 * stale while a refresh runs, refetched at most once per cooldown on an unknown `kid` (failed
 * fetches count too), unknown kids cached negatively, and fetches capped in time and size.
 * Unlike jose's `createRemoteJWKSet`, an IdP outage does not reject tokens until the last good
 * set is older than `maxStaleMs`.
 */
import { inSpan, SpanKind, tracingOn } from "../../lib/tracing.ts";
import type { JWTVerifyGetKey } from "jose";
import type { Logger } from "../../lib/log.ts";
import { type Deadline, raceDeadline } from "./deadline.ts";
import { createDiscovery, type DiscoveryResult } from "./discovery.ts";
import { fetchKeySet, type JsonFetchOptions } from "./jwks_fetch.ts";

export type { Deadline } from "./deadline.ts";
export type { DiscoveryResult } from "./discovery.ts";

export interface KeySet {
  getKey: JWTVerifyGetKey;
  kids: ReadonlySet<string>;
  /** When the set was fetched (ms, the manager's clock). */
  fetchedAt: number;
}

export type KeySetResult =
  | { ok: true; keys: KeySet }
  | { ok: false; error: string; /** The caller's deadline passed first. */ late?: true };

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

/** Creates a manager; nothing is fetched before the first `keys()` or `warm()`. */
export function createJwksManager(options: JwksOptions = {}): JwksManager {
  const o = { ...DEFAULTS, ...options };
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const closing = new AbortController();
  const running = new Set<Promise<unknown>>();
  const fetching: JsonFetchOptions & { maxKeys: number } = {
    fetch: doFetch,
    timeoutMs: o.timeoutMs,
    maxBytes: o.maxBytes,
    maxKeys: o.maxKeys,
    closing: closing.signal,
  };
  const discover = createDiscovery({ ...o, fetch: fetching, now, running, log: o.log });

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
        fetchKeySet(uri, fetching).then((result) => {
          span?.setAttribute("apigw.jwks.outcome", result.ok ? "ok" : "error");
          return result;
        }))
      : fetchKeySet(uri, fetching);
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
