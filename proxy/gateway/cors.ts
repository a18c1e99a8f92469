/**
 * CORS of the embedded gateway, as Envoy's CORS filter applies the route `corsPolicy` that
 * `corsPolicyFor` renders (apirule-v2.md §9.4, §9.5): a preflight from an allowed origin is
 * answered here; other requests get the allow headers on the response; the upstream's own CORS
 * headers are always removed.
 */
import type { CorsPolicy as APIRuleCors } from "../../api/apirule/v2.ts";
import { CORS_RESPONSE_HEADERS, corsPolicyFor } from "../../core/apirule/virtual_service.ts";
import type { Result } from "../../api/result.ts";

export interface Cors {
  allowsOrigin(origin: string): boolean;
  allowMethods?: string;
  allowHeaders?: string;
  exposeHeaders?: string;
  allowCredentials: boolean;
  maxAge?: string;
}

/** Lower-case names of the response headers the route removes (§9.4). */
export const STRIPPED_RESPONSE_HEADERS: readonly string[] = CORS_RESPONSE_HEADERS.map((h) =>
  h.toLowerCase()
);

/** The CORS of an APIRule, undefined when it has no effective policy (quirk Q1). */
export function compileCors(policy: APIRuleCors | undefined): Result<Cors | undefined, string> {
  const rendered = corsPolicyFor(policy);
  if (rendered === undefined) return { ok: true, value: undefined };
  const matchers: ((origin: string) => boolean)[] = [];
  for (const match of rendered.allowOrigins ?? []) {
    if ("exact" in match && match.exact !== undefined) {
      const exact = match.exact;
      matchers.push((origin) => origin === exact);
    } else if ("prefix" in match && match.prefix !== undefined) {
      const prefix = match.prefix;
      matchers.push((origin) => origin.startsWith(prefix));
    } else if ("regex" in match && match.regex !== undefined) {
      let regex: RegExp;
      try {
        // Envoy's safe_regex matches the whole value.
        regex = new RegExp(`^(?:${match.regex})$`);
        // V8 compiles on first use: a pattern too large must fail here, not per request.
        regex.test("");
      } catch (error) {
        return { ok: false, error: `allowOrigins regex ${JSON.stringify(match.regex)}: ${error}` };
      }
      matchers.push((origin) => regex.test(origin));
    }
  }
  return {
    ok: true,
    value: {
      allowsOrigin: (origin) => matchers.some((m) => m(origin)),
      ...joined("allowMethods", rendered.allowMethods),
      ...joined("allowHeaders", rendered.allowHeaders),
      ...joined("exposeHeaders", rendered.exposeHeaders),
      allowCredentials: rendered.allowCredentials === true,
      ...(rendered.maxAge !== undefined ? { maxAge: rendered.maxAge.replace(/s$/, "") } : {}),
    },
  };
}

/** Tells whether `request` is a CORS preflight (OPTIONS with Origin and a requested method). */
export function isPreflight(method: string, headers: Headers): boolean {
  return method === "OPTIONS" && headers.has("origin") &&
    (headers.get("access-control-request-method") ?? "") !== "";
}

/** Envoy's answer to a preflight from an allowed origin. */
export function preflightResponse(cors: Cors, origin: string): Response {
  const headers = new Headers({ "access-control-allow-origin": origin });
  if (cors.allowCredentials) headers.set("access-control-allow-credentials", "true");
  if (cors.allowMethods !== undefined) {
    headers.set("access-control-allow-methods", cors.allowMethods);
  }
  if (cors.allowHeaders !== undefined) {
    headers.set("access-control-allow-headers", cors.allowHeaders);
  }
  if (cors.maxAge !== undefined) headers.set("access-control-max-age", cors.maxAge);
  return new Response(null, { status: 200, headers });
}

/** Adds the allow headers of an actual request from an allowed origin. */
export function corsResponseHeaders(cors: Cors, origin: string, headers: Headers): void {
  headers.set("access-control-allow-origin", origin);
  if (cors.allowCredentials) headers.set("access-control-allow-credentials", "true");
  if (cors.exposeHeaders !== undefined) {
    headers.set("access-control-expose-headers", cors.exposeHeaders);
  }
}

function joined<K extends string>(key: K, list: readonly string[] | undefined) {
  return list !== undefined && list.length > 0 ? { [key]: list.join(",") } : {};
}
