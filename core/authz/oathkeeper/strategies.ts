/**
 * APIRule v1beta1 access strategies (Ory Oathkeeper authenticators, docs/spec/dataplane.md §5.2, §5.4)
 * compiled at load: each handler's config (rule config over the operator's handler defaults,
 * as Oathkeeper merges its global config) is checked once, so a bad config is a load problem,
 * never a per-request surprise.
 */
import { type JwtRequirement, jwtRequirement } from "../jwt_requirement.ts";
import type { ScopeStrategy } from "./scope.ts";
import { ConfigReader, durationMs, type OryTokenFrom } from "./_config_reader.ts";

export { ConfigReader, durationMs, type OryTokenFrom };

/** The Ory-dialect `jwt` authenticator. */
export interface OryJwt {
  kind: "jwt";
  jwksUrls: readonly string[];
  trustedIssuers: readonly string[];
  requiredScope: readonly string[];
  targetAudience: readonly string[];
  scopeStrategy: ScopeStrategy;
  allowedAlgorithms: readonly string[];
  tokenFrom: OryTokenFrom;
}

/** Client authentication at the introspection endpoint (RFC 7662 §2.1, DP-INTROSPECT-1). */
export type ClientAuth =
  | { kind: "none" }
  | { kind: "client_secret_basic"; clientId: string; clientSecret: string }
  | { kind: "client_secret_post"; clientId: string; clientSecret: string }
  /** Oathkeeper's `pre_authorization`: a client-credentials token, sent as a bearer token. */
  | {
    kind: "client_credentials";
    clientId: string;
    clientSecret: string;
    tokenUrl: string;
    scope: readonly string[];
    audience?: string;
  };

export interface Introspection {
  kind: "oauth2_introspection";
  url: string;
  requiredScope: readonly string[];
  targetAudience: readonly string[];
  trustedIssuers: readonly string[];
  scopeStrategy: ScopeStrategy;
  tokenFrom: OryTokenFrom;
  /** Oathkeeper's `prefix`: a token not starting with it is not this handler's. */
  prefix: string;
  preserveHost: boolean;
  /** Static request headers (`introspection_request_headers`). */
  headers: Readonly<Record<string, string>>;
  clientAuth: ClientAuth;
  /** `cache.enabled` and the positive TTL bound (`cache.ttl`); entries never outlive `exp`. */
  cache: { enabled: boolean; ttlMs: number; negativeTtlMs: number };
  timeoutMs: number;
  /** What an unreachable endpoint means: deny (default) or let the request through. */
  onError: "fail_closed" | "fail_open";
}

export interface CookieSession {
  kind: "cookie_session";
  checkSessionUrl: string;
  only: readonly string[];
  preservePath: boolean;
  preserveQuery: boolean;
  preserveHost: boolean;
  forwardHttpHeaders: readonly string[];
  additionalHeaders: Readonly<Record<string, string>>;
  forceMethod?: string;
  subjectFrom: string;
  extraFrom: string;
  timeoutMs: number;
}

export type AccessStrategy =
  /** `allow` and `no_auth`: the request passes with no subject. */
  | { kind: "allow"; handler: "allow" | "no_auth" }
  | { kind: "noop" }
  | { kind: "anonymous"; subject: string }
  | { kind: "unauthorized" }
  | OryJwt
  /** `jwt` written in the Istio dialect (`authentications`/`authorizations`). */
  | { kind: "jwt_istio"; jwt: JwtRequirement }
  | Introspection
  | CookieSession;

/** Handler defaults, in the shape of Oathkeeper's own config file (`authenticators.<h>.config`). */
export interface HandlerDefaults {
  authenticators?: Readonly<Record<string, { config?: Record<string, unknown> } | undefined>>;
  mutators?: Readonly<Record<string, { config?: Record<string, unknown> } | undefined>>;
}

/** Oathkeeper's config shape: `{authenticators: {h: {config}}, mutators: {h: {config}}}`. */
export function handlerDefaultsOf(value: unknown): HandlerDefaults | undefined {
  if (!isRecord(value)) return undefined;
  const section = (raw: unknown) => {
    if (raw === undefined) return {};
    if (!isRecord(raw)) return undefined;
    const out: Record<string, { config?: Record<string, unknown> }> = {};
    for (const [name, entry] of Object.entries(raw)) {
      if (!isRecord(entry)) return undefined;
      if (entry.config !== undefined && !isRecord(entry.config)) return undefined;
      out[name] = isRecord(entry.config) ? { config: entry.config } : {};
    }
    return out;
  };
  const authenticators = section(value.authenticators);
  const mutators = section(value.mutators);
  if (authenticators === undefined || mutators === undefined) return undefined;
  return { authenticators, mutators };
}

export type Compiled<T> = { ok: true; value: T } | { ok: false; error: string };

const DEFAULT_TIMEOUT_MS = 500;
const DEFAULT_CACHE_TTL_MS = 30_000;
const DEFAULT_NEGATIVE_TTL_MS = 10_000;

/** Compiles one access strategy `{handler, config}` over `defaults`. */
export function compileStrategy(
  handler: string,
  config: unknown,
  defaults: HandlerDefaults = {},
): Compiled<AccessStrategy> {
  const merged = mergeConfig(defaults.authenticators?.[handler]?.config, config);
  if (!merged.ok) return merged;
  const c = new ConfigReader(merged.value, handler);
  let strategy: AccessStrategy | undefined;
  switch (handler) {
    case "allow":
    case "no_auth":
      strategy = { kind: "allow", handler };
      break;
    case "noop":
      strategy = { kind: "noop" };
      break;
    case "unauthorized":
      strategy = { kind: "unauthorized" };
      break;
    case "anonymous":
      strategy = { kind: "anonymous", subject: c.string("subject") ?? "anonymous" };
      break;
    case "jwt":
      strategy = "authentications" in merged.value ? istioJwt(merged.value, c) : oryJwt(c);
      break;
    case "oauth2_introspection":
      strategy = introspection(c);
      break;
    case "cookie_session":
      strategy = cookieSession(c);
      break;
    default:
      return { ok: false, error: `access strategy "${handler}" is not served by apigw` };
  }
  return c.problems.length > 0 || strategy === undefined
    ? { ok: false, error: c.problems.join("; ") }
    : { ok: true, value: strategy };
}

function oryJwt(c: ConfigReader): OryJwt {
  const jwksUrls = c.strings("jwks_urls").filter((u) => c.url("jwks_urls", u));
  if (jwksUrls.length === 0) c.problem("jwks_urls", "needs at least one URL");
  return {
    kind: "jwt",
    jwksUrls,
    trustedIssuers: c.strings("trusted_issuers"),
    requiredScope: c.strings("required_scope"),
    targetAudience: c.strings("target_audience"),
    scopeStrategy: c.scopeStrategy(),
    // Oathkeeper's default; symmetric algorithms are never accepted (§8 #4).
    allowedAlgorithms: c.algorithms(),
    tokenFrom: c.tokenFrom(),
  };
}

function istioJwt(config: Record<string, unknown>, c: ConfigReader): AccessStrategy {
  const raw = Array.isArray(config.authentications) ? config.authentications : [];
  const authentications = raw.flatMap((a) => {
    if (!isRecord(a) || typeof a.issuer !== "string" || typeof a.jwksUri !== "string") return [];
    const fromHeaders = (Array.isArray(a.fromHeaders) ? a.fromHeaders : []).flatMap((h) =>
      isRecord(h) && typeof h.name === "string"
        ? [{ name: h.name, ...(typeof h.prefix === "string" ? { prefix: h.prefix } : {}) }]
        : []
    );
    const fromParams = (Array.isArray(a.fromParams) ? a.fromParams : [])
      .filter((p): p is string => typeof p === "string");
    return [{ issuer: a.issuer, jwksUri: a.jwksUri, fromHeaders, fromParams }];
  });
  if (authentications.length === 0 || authentications.length !== raw.length) {
    c.problem("authentications", "needs entries with issuer and jwksUri");
  }
  const authorizations = (Array.isArray(config.authorizations) ? config.authorizations : [])
    .filter(isRecord).map((a) => ({
      requiredScopes: stringsOf(a.requiredScopes),
      audiences: stringsOf(a.audiences),
    }));
  return { kind: "jwt_istio", jwt: jwtRequirement({ authentications, authorizations }) };
}

function introspection(c: ConfigReader): Introspection {
  const url = c.string("introspection_url");
  if (url === undefined) c.problem("introspection_url", "is required");
  else c.url("introspection_url", url);
  const cache = c.record("cache");
  const ttl = cache?.ttl === undefined ? DEFAULT_CACHE_TTL_MS : c.duration("cache.ttl", cache.ttl);
  const negative = cache?.negative_ttl === undefined
    ? DEFAULT_NEGATIVE_TTL_MS
    : c.duration("cache.negative_ttl", cache.negative_ttl);
  const onError = c.string("on_error") ?? "fail_closed";
  if (onError !== "fail_closed" && onError !== "fail_open") {
    c.problem("on_error", "must be fail_closed or fail_open");
  }
  return {
    kind: "oauth2_introspection",
    url: url ?? "",
    requiredScope: c.strings("required_scope"),
    targetAudience: c.strings("target_audience"),
    trustedIssuers: c.strings("trusted_issuers"),
    scopeStrategy: c.scopeStrategy(),
    tokenFrom: c.tokenFrom(),
    prefix: c.string("prefix") ?? "",
    preserveHost: c.boolean("preserve_host") ?? false,
    headers: c.stringMap("introspection_request_headers"),
    clientAuth: clientAuth(c),
    cache: {
      enabled: cache?.enabled !== false,
      ttlMs: ttl ?? DEFAULT_CACHE_TTL_MS,
      negativeTtlMs: negative ?? DEFAULT_NEGATIVE_TTL_MS,
    },
    timeoutMs: c.duration("timeout", c.raw("timeout")) ?? DEFAULT_TIMEOUT_MS,
    onError: onError === "fail_open" ? "fail_open" : "fail_closed",
  };
}

function clientAuth(c: ConfigReader): ClientAuth {
  const pre = c.record("pre_authorization");
  if (pre !== undefined && pre.enabled === true) {
    const clientId = typeof pre.client_id === "string" ? pre.client_id : "";
    const clientSecret = typeof pre.client_secret === "string" ? pre.client_secret : "";
    const tokenUrl = typeof pre.token_url === "string" ? pre.token_url : "";
    if (clientId === "" || tokenUrl === "") {
      c.problem("pre_authorization", "needs client_id and token_url");
    } else c.url("pre_authorization.token_url", tokenUrl);
    const scope = Array.isArray(pre.scope) ? pre.scope.filter((s) => typeof s === "string") : [];
    return {
      kind: "client_credentials",
      clientId,
      clientSecret,
      tokenUrl,
      scope,
      ...(typeof pre.audience === "string" ? { audience: pre.audience } : {}),
    };
  }
  const auth = c.record("client_auth");
  if (auth === undefined) return { kind: "none" };
  const method = auth.method ?? "client_secret_basic";
  const clientId = typeof auth.client_id === "string" ? auth.client_id : "";
  const clientSecret = typeof auth.client_secret === "string" ? auth.client_secret : "";
  if (clientId === "") c.problem("client_auth.client_id", "is required");
  if (method !== "client_secret_basic" && method !== "client_secret_post") {
    c.problem("client_auth.method", "must be client_secret_basic or client_secret_post");
    return { kind: "none" };
  }
  return { kind: method, clientId, clientSecret };
}

function cookieSession(c: ConfigReader): CookieSession {
  const url = c.string("check_session_url");
  if (url === undefined) c.problem("check_session_url", "is required (set it in the defaults)");
  else c.url("check_session_url", url);
  const forceMethod = c.string("force_method");
  return {
    kind: "cookie_session",
    checkSessionUrl: url ?? "",
    only: c.strings("only"),
    preservePath: c.boolean("preserve_path") ?? false,
    preserveQuery: c.boolean("preserve_query") ?? true,
    preserveHost: c.boolean("preserve_host") ?? false,
    forwardHttpHeaders: c.raw("forward_http_headers") === undefined
      ? ["Authorization", "Cookie"]
      : c.strings("forward_http_headers"),
    additionalHeaders: c.stringMap("additional_headers"),
    ...(forceMethod !== undefined ? { forceMethod } : {}),
    subjectFrom: c.string("subject_from") ?? "subject",
    extraFrom: c.string("extra_from") ?? "extra",
    timeoutMs: c.duration("timeout", c.raw("timeout")) ?? DEFAULT_TIMEOUT_MS,
  };
}

/** The rule's config over the default config, key by key, as Oathkeeper merges them. */
export function mergeConfig(
  defaults: Record<string, unknown> | undefined,
  config: unknown,
): Compiled<Record<string, unknown>> {
  if (config !== undefined && config !== null && !isRecord(config)) {
    return { ok: false, error: "config is not an object" };
  }
  return { ok: true, value: { ...(defaults ?? {}), ...(config ?? {}) } };
}

/** The token locations of an Ory `token_from`, for the explain output. */
export function describeTokenFrom(from: OryTokenFrom): string {
  switch (from.kind) {
    case "bearer":
      return "Authorization: Bearer";
    case "header":
      return `header ${from.name}`;
    case "query":
      return `query ${from.name}`;
    case "cookie":
      return `cookie ${from.name}`;
  }
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
