/**
 * Oathkeeper mutators (docs/spec/dataplane.md §5.4) compiled at load and rendered per request: `header`
 * and `cookie` set values templated from the subject and its claims, `id_token` asks the shell
 * for a JWT signed with apigw's own key, `noop` sets nothing. Every rendered value is checked
 * against the RFC 9110 field-value grammar (§8 #14): an invalid one fails the request, it never
 * becomes a partial or split header.
 */
import {
  type Compiled,
  ConfigReader,
  durationMs,
  type HandlerDefaults,
  mergeConfig,
} from "./strategies.ts";
import {
  compileTemplate,
  renderTemplate,
  type Template,
  type TemplateSession,
} from "./template.ts";

export type Mutator =
  | { kind: "noop" }
  | { kind: "header"; headers: ReadonlyArray<{ name: string; value: Template }> }
  | { kind: "cookie"; cookies: ReadonlyArray<{ name: string; value: Template }> }
  | { kind: "id_token"; issuer: string; ttlSeconds: number; claims?: Template };

/** What the mutators want from the shell, after rendering. */
export interface Mutation {
  /** Lower-case header names → values, to set (overwriting client copies). */
  headers: Record<string, string>;
  /** Cookies to add to the request's `Cookie` header, replacing same-named ones. */
  cookies: Array<[string, string]>;
  /** Claims of an ID token to sign and send as `Authorization: Bearer`. */
  idToken?: { issuer: string; ttlSeconds: number; claims: Record<string, unknown> };
}

export type Rendered = { ok: true; value: Mutation } | { ok: false; error: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5: visible ASCII, obs-text, SP and HTAB inside; no CR, LF, NUL or other controls.
const FIELD_VALUE =
  /^(?:[\x21-\x7e\x80-\xff](?:[\x20\x21-\x7e\x80-\xff\t]*[\x21-\x7e\x80-\xff])?)?$/;
// RFC 6265 §4.1.1 cookie-octet.
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
// Headers that would change how the upstream request is framed or routed.
const RESERVED = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "te",
  "upgrade",
  "keep-alive",
  "proxy-connection",
  "trailer",
  ":authority",
  ":path",
  ":method",
  ":scheme",
]);

/** Compiles one mutator `{handler, config}` over `defaults`. */
export function compileMutator(
  handler: string,
  config: unknown,
  defaults: HandlerDefaults = {},
): Compiled<Mutator> {
  const merged = mergeConfig(defaults.mutators?.[handler]?.config, config);
  if (!merged.ok) return merged;
  const c = new ConfigReader(merged.value, handler);
  let mutator: Mutator | undefined;
  switch (handler) {
    case "noop":
      mutator = { kind: "noop" };
      break;
    case "header":
      mutator = { kind: "header", headers: templates(c, "headers", headerName) };
      break;
    case "cookie":
      mutator = { kind: "cookie", cookies: templates(c, "cookies", cookieName) };
      break;
    case "id_token": {
      const issuer = c.string("issuer_url");
      if (issuer === undefined) c.problem("issuer_url", "is required");
      const ttl = c.raw("ttl") === undefined ? 60_000 : durationMs(c.raw("ttl"));
      if (ttl === undefined || ttl < 1_000) c.problem("ttl", "must be a duration of 1s or more");
      const claims = c.string("claims");
      const compiled = claims === undefined ? undefined : compileTemplate(claims);
      if (compiled !== undefined && !compiled.ok) c.problem("claims", compiled.error);
      mutator = {
        kind: "id_token",
        issuer: issuer ?? "",
        ttlSeconds: Math.floor((ttl ?? 60_000) / 1000),
        ...(compiled?.ok ? { claims: compiled.value } : {}),
      };
      break;
    }
    default:
      return { ok: false, error: `mutator "${handler}" is not served by apigw` };
  }
  return c.problems.length > 0
    ? { ok: false, error: c.problems.join("; ") }
    : { ok: true, value: mutator };
}

function templates(
  c: ConfigReader,
  key: string,
  checkName: (name: string) => string | undefined,
): Array<{ name: string; value: Template }> {
  const entries = Object.entries(c.stringMap(key));
  if (entries.length === 0) c.problem(key, "cannot be empty");
  return entries.flatMap(([name, source]) => {
    const bad = checkName(name);
    if (bad !== undefined) {
      c.problem(`${key}.${name}`, bad);
      return [];
    }
    const template = compileTemplate(source);
    if (!template.ok) {
      c.problem(`${key}.${name}`, template.error);
      return [];
    }
    return [{ name: key === "headers" ? name.toLowerCase() : name, value: template.value }];
  });
}

function headerName(name: string): string | undefined {
  if (!TOKEN.test(name)) return "is not a valid header name";
  if (RESERVED.has(name.toLowerCase())) return "names a header apigw does not set";
  return undefined;
}

function cookieName(name: string): string | undefined {
  return TOKEN.test(name) ? undefined : "is not a valid cookie name";
}

/** Renders `mutators` in order for `session`; later mutators overwrite earlier values. */
export function renderMutators(
  mutators: readonly Mutator[],
  session: TemplateSession,
): Rendered {
  const mutation: Mutation = { headers: {}, cookies: [] };
  for (const mutator of mutators) {
    switch (mutator.kind) {
      case "noop":
        break;
      case "header":
        for (const { name, value } of mutator.headers) {
          const text = renderTemplate(value, session);
          if (!FIELD_VALUE.test(text)) {
            return { ok: false, error: `header "${name}" would not be a valid field value` };
          }
          mutation.headers[name] = text;
        }
        break;
      case "cookie":
        for (const { name, value } of mutator.cookies) {
          const text = renderTemplate(value, session);
          if (!COOKIE_VALUE.test(text)) {
            return { ok: false, error: `cookie "${name}" would not be a valid cookie value` };
          }
          mutation.cookies = mutation.cookies.filter(([n]) => n !== name);
          mutation.cookies.push([name, text]);
        }
        break;
      case "id_token": {
        let claims: Record<string, unknown> = {};
        if (mutator.claims !== undefined) {
          // Values are JSON-escaped: a claim value from the IdP cannot add claims of its own.
          const text = renderTemplate(mutator.claims, session, jsonEscape);
          try {
            const parsed: unknown = JSON.parse(text);
            if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
              return { ok: false, error: "id_token claims template is not a JSON object" };
            }
            claims = { ...parsed };
          } catch {
            return { ok: false, error: "id_token claims template is not JSON" };
          }
        }
        mutation.idToken = { issuer: mutator.issuer, ttlSeconds: mutator.ttlSeconds, claims };
        break;
      }
    }
  }
  return { ok: true, value: mutation };
}

/**
 * The `Cookie` header after adding `cookies` to the client's: same-named client cookies are
 * replaced, the others kept in order (Oathkeeper's cookie mutator does the same).
 */
export function mergeCookies(
  clientHeader: string | null,
  cookies: ReadonlyArray<[string, string]>,
): string {
  const names = new Set(cookies.map(([name]) => name));
  const kept = (clientHeader ?? "").split(";").map((c) => c.trim()).filter((c) => {
    if (c === "") return false;
    const eq = c.indexOf("=");
    return !names.has(eq === -1 ? c : c.slice(0, eq));
  });
  return [...kept, ...cookies.map(([name, value]) => `${name}=${value}`)].join("; ");
}

/** Whether `value` may be sent as an HTTP field value. */
export function validFieldValue(value: string): boolean {
  return FIELD_VALUE.test(value);
}

function jsonEscape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}
