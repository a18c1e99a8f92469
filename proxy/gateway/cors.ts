/**
 * CORS of the embedded gateway, as Envoy's CORS filter applies the route `corsPolicy` that
 * `corsPolicyFor` renders (docs/spec/apirule-v2.md §9.4, §9.5): a preflight from an allowed origin is
 * answered here; other requests get the allow headers on the response; the upstream's own CORS
 * headers are always removed.
 */
import type { CorsPolicy as APIRuleCors } from "../../api/apirule/v2.ts";
import { CORS_RESPONSE_HEADERS, corsPolicyFor } from "../../core/apirule/virtual_service.ts";
import type { Result } from "../../api/result.ts";
import { compileSafeRegex } from "../../api/safe_regex.ts";
import { allowOriginsFailures } from "../../api/validation/regexes.ts";
import type { StringMatch } from "../../core/istio/types.ts";

export interface Cors {
  allowsOrigin(origin: string): boolean;
  /** The rendered `allowOrigins` `allowsOrigin` matches, so it can be rebuilt from data. */
  allowOrigins: readonly StringMatch[];
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

/**
 * The CORS of an APIRule, undefined when it has no effective policy (quirk Q1). An `allowOrigins`
 * regex RE2 refuses is an error naming its field below `spec.corsPolicy`.
 */
export function compileCors(
  policy: APIRuleCors | undefined,
): Result<Cors | undefined, { field: string; reason: string }> {
  const [refused] = allowOriginsFailures("spec.corsPolicy", policy?.allowOrigins);
  if (refused !== undefined) {
    return { ok: false, error: { field: refused.attributePath, reason: refused.message } };
  }
  const rendered = corsPolicyFor(policy);
  if (rendered === undefined) return { ok: true, value: undefined };
  const allowOrigins = rendered.allowOrigins ?? [];
  const allowsOrigin = originMatcher(allowOrigins);
  if (!allowsOrigin.ok) return allowsOrigin;
  return {
    ok: true,
    value: {
      allowsOrigin: allowsOrigin.value,
      allowOrigins,
      ...joined("allowMethods", rendered.allowMethods),
      ...joined("allowHeaders", rendered.allowHeaders),
      ...joined("exposeHeaders", rendered.exposeHeaders),
      allowCredentials: rendered.allowCredentials === true,
      ...(rendered.maxAge !== undefined ? { maxAge: rendered.maxAge.replace(/s$/, "") } : {}),
    },
  };
}

/** Whether an origin matches one of `allowOrigins` (exact, prefix or whole-value regex). */
export function originMatcher(
  allowOrigins: readonly StringMatch[],
): Result<(origin: string) => boolean, { field: string; reason: string }> {
  const matchers: ((origin: string) => boolean)[] = [];
  for (const match of allowOrigins) {
    if ("exact" in match && match.exact !== undefined) {
      const exact = match.exact;
      matchers.push((origin) => origin === exact);
    } else if ("prefix" in match && match.prefix !== undefined) {
      const prefix = match.prefix;
      matchers.push((origin) => origin.startsWith(prefix));
    } else if ("regex" in match && match.regex !== undefined) {
      // Envoy's safe_regex: RE2, the whole value, linear time (issue 14).
      const regex = compileSafeRegex(match.regex);
      if (!regex.ok) return { ok: false, error: { field: "spec.corsPolicy", reason: regex.error } };
      matchers.push((origin) => regex.value.matches(origin));
    }
  }
  return { ok: true, value: (origin) => matchers.some((m) => m(origin)) };
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
