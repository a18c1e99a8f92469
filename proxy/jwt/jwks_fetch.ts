/**
 * The JWKS manager's one capped GET of a JSON document (DP-JWKS-1 item 3: HTTPS outside the
 * cluster, no redirects, a time and a size cap) and the reading of a key set from it.
 */
import { createLocalJWKSet, type JWTVerifyGetKey } from "jose";
import { readCapped } from "../../lib/http.ts";

export type Fetched = { ok: true; json: unknown; headers: Headers } | { ok: false; error: string };

export interface JsonFetchOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  maxBytes: number;
  /** Aborts every running fetch (the manager closing). */
  closing: AbortSignal;
}

export type FetchedKeySet =
  | { ok: true; keys: { getKey: JWTVerifyGetKey; kids: ReadonlySet<string> }; maxAgeMs?: number }
  | { ok: false; error: string };

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];

/** One capped GET of `uri`; `what` names the document in errors. */
export async function fetchJson(
  uri: string,
  what: string,
  accept: string,
  o: JsonFetchOptions,
): Promise<Fetched> {
  const allowed = checkUri(uri, what);
  if (allowed !== undefined) return { ok: false, error: allowed };
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new Error(`Timed out after ${o.timeoutMs} ms`)),
    o.timeoutMs,
  );
  const onClose = () => abort.abort(new Error("JWKS manager closed"));
  o.closing.addEventListener("abort", onClose);
  try {
    const response = await o.fetch(uri, {
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
    o.closing.removeEventListener("abort", onClose);
  }
}

/** The key set at `uri`, at most `maxKeys` public keys, and its `Cache-Control: max-age`. */
export async function fetchKeySet(
  uri: string,
  o: JsonFetchOptions & { maxKeys: number },
): Promise<FetchedKeySet> {
  const fetched = await fetchJson(uri, "JWKS", "application/json, application/jwk-set+json", o);
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

// DP-JWKS-1 item 3: HTTPS, except in-cluster `*.svc` names and loopback (no network hop).
export function checkUri(uri: string, what = "JWKS"): string | undefined {
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
