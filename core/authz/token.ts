/**
 * Finding the one token of a request (dataplane.md §3.1, DP-JWT-1, DP-AUTHZ-4, §8 #10): every
 * location of the rule's authentications is read; no token is "missing", two are ambiguous, and
 * anything of the wrong shape is an invalid token, never a missing one.
 */
import { type Authentication, locationKey, type TokenLocation } from "./rule.ts";

/** What the pipeline reads headers through; `Headers` satisfies it. */
export interface HeaderReader {
  get(name: string): string | null;
}

export type Extracted =
  | { kind: "none" }
  | { kind: "found"; token: string; location: TokenLocation }
  | { kind: "invalid"; reason: "ambiguous_token" | "malformed_token" };

// RFC 6750 §2.1 b64token, and one or more spaces after the scheme (§8 #10).
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of `request` at `locations` (a requirement's distinct locations). */
export function extractToken(
  request: { headers: HeaderReader; query: string },
  locations: readonly TokenLocation[],
): Extracted {
  const found: { token: string; location: TokenLocation }[] = [];
  for (const location of locations) {
    const read = location.kind === "header"
      ? fromHeader(request.headers, location)
      : fromQuery(request.query, location.name);
    if (read === undefined) continue;
    if (typeof read !== "string") return { kind: "invalid", reason: read.invalid };
    found.push({ token: read, location });
  }
  if (found.length === 0) return { kind: "none" };
  if (found.length > 1) return { kind: "invalid", reason: "ambiguous_token" };
  return { kind: "found", ...found[0]! };
}

/** Tells whether `location` is one of `authentication`'s. */
export function hasLocation(authentication: Authentication, location: TokenLocation): boolean {
  return authentication.locations.some((l) => locationKey(l) === locationKey(location));
}

type Read = string | undefined | { invalid: "ambiguous_token" | "malformed_token" };

function fromHeader(
  headers: HeaderReader,
  location: Extract<TokenLocation, { kind: "header" }>,
): Read {
  const value = headers.get(location.name);
  if (value === null) return undefined;
  if (location.scheme === true) {
    const match = BEARER.exec(value);
    return match === null ? { invalid: "malformed_token" } : match[1];
  }
  if (!value.startsWith(location.prefix) || value.length === location.prefix.length) {
    return { invalid: "malformed_token" };
  }
  return value.slice(location.prefix.length);
}

function fromQuery(query: string, name: string): Read {
  if (query === "" || !query.includes(name)) return undefined;
  const values: string[] = [];
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const key = eq === -1 ? pair : pair.slice(0, eq);
    let decodedKey: string;
    let value: string;
    try {
      decodedKey = decodeURIComponent(key.replaceAll("+", " "));
      value = eq === -1 ? "" : decodeURIComponent(pair.slice(eq + 1).replaceAll("+", " "));
    } catch {
      if (key.includes(name)) return { invalid: "malformed_token" };
      continue;
    }
    if (decodedKey === name) values.push(value);
  }
  if (values.length === 0) return undefined;
  if (values.length > 1) return { invalid: "ambiguous_token" };
  return values[0] === "" ? { invalid: "malformed_token" } : values[0];
}
