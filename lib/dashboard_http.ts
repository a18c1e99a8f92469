/**
 * What every apigw dashboard shares (`proxy/dashboard/`, the operator's status page): the Host
 * values it answers to (DNS rebinding), its response headers, and the redaction of any text that
 * came from outside.
 */

/** The Host values a browser sends for a listener on `addr`: its name and, on loopback, aliases. */
export function dashboardHosts(addr: { hostname: string; port: number }): string[] {
  const { hostname, port } = addr;
  const loopback = ["127.0.0.1", "localhost", "[::1]"].map((h) => `${h}:${port}`);
  const own = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
  const wildcard = hostname === "0.0.0.0" || hostname === "::";
  return [...new Set([...(wildcard ? [] : [own.toLowerCase()]), ...loopback])];
}

export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; " +
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  // Not no-referrer: Chromium then sends `Origin: null` on a form's own posts.
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const CREDENTIALS = /\b(Bearer|Basic|Negotiate|DPoP)\s+[^\s,;"']+/gi;
const QUERY = /\?[^\s"'<>]*/g;

/**
 * Any text shown that came from outside (reasons, details, status messages): JWT-shaped strings,
 * credentials of an authorization scheme and query strings are replaced by a marker.
 */
export function redactText(text: string): string {
  return text.replace(JWT_LIKE, "[token]").replace(CREDENTIALS, "$1 [redacted]").replace(
    QUERY,
    "?[query]",
  );
}
