/**
 * OpenID Connect Discovery 1.0 §4 for the JWKS manager (DP-JWKS-1 item 5): the issuer's
 * `jwks_uri`, from a document whose `issuer` must equal the configured one exactly (§4.3), cached
 * like a key set (refreshed after `refreshMs`, the last good answer kept up to `maxStaleMs`,
 * failures backed off).
 */
import type { Logger } from "../../lib/log.ts";
import { type Deadline, raceDeadline } from "./deadline.ts";
import { checkUri, fetchJson, type JsonFetchOptions } from "./jwks_fetch.ts";

export type DiscoveryResult =
  | { ok: true; jwksUri: string }
  | { ok: false; error: string; late?: true };

export interface DiscoveryOptions {
  fetch: JsonFetchOptions;
  now: () => number;
  refreshMs: number;
  maxStaleMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Where running fetches are kept, so the manager can wait for them when it closes. */
  running: Set<Promise<unknown>>;
  log?: Logger | undefined;
}

interface Discovery {
  known?: { jwksUri: string; at: number };
  inflight?: Promise<DiscoveryResult> | undefined;
  failures: number;
  retryAt: number;
}

/** The `discover` of a JWKS manager. */
export function createDiscovery(
  o: DiscoveryOptions,
): (issuer: string, deadline?: Deadline) => Promise<DiscoveryResult> {
  const discovered = new Map<string, Discovery>();

  function start(issuer: string, entry: Discovery): Promise<DiscoveryResult> {
    if (entry.inflight !== undefined) return entry.inflight;
    const started = o.now();
    const uri = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const inflight = fetchJson(uri, "OpenID configuration", "application/json", o.fetch).then(
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
      o.running.delete(inflight);
    });
    entry.inflight = inflight;
    o.running.add(inflight);
    return inflight;
  }

  return function discover(issuer, deadline) {
    let entry = discovered.get(issuer);
    if (entry === undefined) {
      entry = { failures: 0, retryAt: -Infinity };
      discovered.set(issuer, entry);
    }
    const t = o.now();
    const known = entry.known;
    if (known !== undefined && t - known.at <= o.maxStaleMs) {
      if (t - known.at >= o.refreshMs && t >= entry.retryAt) void start(issuer, entry);
      return Promise.resolve({ ok: true, jwksUri: known.jwksUri });
    }
    if (entry.inflight === undefined && t < entry.retryAt) {
      return Promise.resolve({
        ok: false,
        error: `OpenID configuration of "${issuer}" could not be fetched; retrying later`,
      });
    }
    return raceDeadline(start(issuer, entry), deadline);
  };
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
