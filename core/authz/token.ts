/**
 * Finding the one token of a request (docs/spec/dataplane.md §3.1, DP-JWT-1, DP-AUTHZ-4, §8 #10, #22):
 * every location of the rule's authentications is read; no token is "missing", two are
 * ambiguous, and anything of the wrong shape is an invalid token, never a missing one.
 *
 * Ambiguity is decided on what an upstream could read, not on the literal bytes: query keys are
 * percent- and `+`-decoded before they are compared (as Envoy's jwt_authn does), a header that
 * arrives comma-joined (two headers of one name) carries two tokens, and a query key that a
 * lenient upstream would read as a token parameter (`Access_Token`, `access.token`,
 * `;access_token=`, double encoding) counts as a second token, though alone it is no token.
 */
import { type Authentication, locationKey, type TokenLocation } from "./rule.ts";

/** What the pipeline reads headers through; `Headers` satisfies it. */
export interface HeaderReader {
  get(name: string): string | null;
}

export type Extracted =
  | { kind: "none" }
  | {
    kind: "found";
    token: string;
    /** The first location the token was read at. */
    location: TokenLocation;
    /** Every location the token satisfies (two locations may share a header). */
    locations: readonly TokenLocation[];
  }
  | { kind: "invalid"; reason: "ambiguous_token" | "malformed_token" };

/** How many tokens one place (a header, a query parameter) carries, and the one if exactly one. */
export interface Reading {
  count: number;
  /** With `count` 1: the token, an unusable value, or nothing a strict reader takes as a token. */
  single: { kind: "token"; token: string } | { kind: "malformed" } | { kind: "absent" };
}

// RFC 6750 §2.1 b64token, and one or more spaces after the scheme (§8 #10).
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of `request` at `locations` (a requirement's distinct locations). */
export function extractToken(
  request: { headers: HeaderReader; query: string },
  locations: readonly TokenLocation[],
): Extracted {
  const places: { reading: Reading; locations: readonly TokenLocation[] }[] = [];
  for (const group of groupByPlace(locations)) {
    const first = group[0]!;
    places.push(
      first.kind === "param"
        ? { reading: readParam(request.query, first.name), locations: group }
        : readHeader(request.headers.get(first.name), group),
    );
  }
  const total = places.reduce((sum, p) => sum + p.reading.count, 0);
  if (total === 0) return { kind: "none" };
  if (total > 1) return { kind: "invalid", reason: "ambiguous_token" };
  const place = places.find((p) => p.reading.count === 1)!;
  const single = place.reading.single;
  if (single.kind === "absent") return { kind: "none" };
  if (single.kind === "malformed") return { kind: "invalid", reason: "malformed_token" };
  return {
    kind: "found",
    token: single.token,
    location: place.locations[0]!,
    locations: place.locations,
  };
}

/**
 * Tells whether `location`, or one of `locations` (where a token was found), is one of
 * `authentication`'s.
 */
export function hasLocation(
  authentication: Authentication,
  locations: TokenLocation | readonly TokenLocation[],
): boolean {
  const keys = new Set(("kind" in locations ? [locations] : locations).map(locationKey));
  return authentication.locations.some((l) => keys.has(locationKey(l)));
}

/**
 * The tokens one header value carries: none when absent, one per comma-separated member (a
 * repeated header arrives joined with ", "; a token never holds a comma), at least one when
 * present. `single` is filled by the first of `locations` whose prefix the value has.
 */
function readHeader(
  value: string | null,
  locations: readonly TokenLocation[],
): { reading: Reading; locations: readonly TokenLocation[] } {
  if (value === null) return { reading: { count: 0, single: { kind: "absent" } }, locations };
  const members = value.split(",").filter((m) => m.trim() !== "").length;
  if (members > 1) return { reading: { count: members, single: { kind: "malformed" } }, locations };
  const matched: { token: string; location: TokenLocation }[] = [];
  for (const location of locations) {
    const token = location.kind === "header" ? headerToken(value, location) : undefined;
    if (token !== undefined) matched.push({ token, location });
  }
  const first = matched[0];
  if (first === undefined) {
    return { reading: { count: 1, single: { kind: "malformed" } }, locations };
  }
  return {
    reading: { count: 1, single: { kind: "token", token: first.token } },
    locations: matched.filter((m) => m.token === first.token).map((m) => m.location),
  };
}

function headerToken(
  value: string,
  location: Extract<TokenLocation, { kind: "header" }>,
): string | undefined {
  if (location.scheme === true) return BEARER.exec(value)?.[1];
  if (!value.startsWith(location.prefix) || value.length === location.prefix.length) {
    return undefined;
  }
  return value.slice(location.prefix.length);
}

/**
 * The tokens query parameter `name` carries in `query` (raw, without `?`). A token is a pair
 * split at `&` whose decoded key is `name`; its value must decode strictly and be non-empty.
 * The count also takes keys that only a lenient reader maps to `name` (case, `.`/space/`[` for
 * `_`, `;` separators, double encoding), so such a key next to a token makes it ambiguous.
 * Never throws: undecodable bytes stay as they are.
 */
export function readParam(query: string, name: string): Reading {
  if (query === "") return { count: 0, single: { kind: "absent" } };
  const exact: (string | undefined)[] = [];
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    if (lenientDecode(eq === -1 ? pair : pair.slice(0, eq)) !== name) continue;
    exact.push(eq === -1 ? "" : strictDecode(pair.slice(eq + 1)));
  }
  const loose = looseKey(name);
  let shadows = 0;
  for (const pair of query.split(/[&;]/)) {
    const eq = pair.indexOf("=");
    if (looseKey(eq === -1 ? pair : pair.slice(0, eq)) === loose) shadows++;
  }
  const count = Math.max(exact.length, shadows);
  if (exact.length !== 1) {
    return { count, single: exact.length === 0 ? { kind: "absent" } : { kind: "malformed" } };
  }
  const value = exact[0];
  return {
    count,
    single: value === undefined || value === ""
      ? { kind: "malformed" }
      : { kind: "token", token: value },
  };
}

/** Header locations grouped by header name, parameters by parameter name, first-seen order. */
function groupByPlace(locations: readonly TokenLocation[]): TokenLocation[][] {
  const groups = new Map<string, TokenLocation[]>();
  for (const location of locations) {
    const key = `${location.kind === "header" ? "h" : "q"}:${location.name}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [location]);
    else group.push(location);
  }
  return [...groups.values()];
}

/** `application/x-www-form-urlencoded` decoding as Envoy does it: bad escapes stay literal. */
function lenientDecode(raw: string): string {
  const plus = raw.replaceAll("+", " ");
  if (!plus.includes("%")) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      const bytes = new Uint8Array(run.length / 3);
      for (let i = 0; i < bytes.length; i++) {
        bytes[i] = parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
      }
      return new TextDecoder().decode(bytes);
    });
  }
}

function strictDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    return undefined;
  }
}

/** What a lenient framework might read a key as (PHP, case-insensitive binders, `;`). */
function looseKey(raw: string): string {
  let key = raw;
  for (let i = 0; i < 3; i++) {
    const decoded = lenientDecode(key);
    if (decoded === key) break;
    key = decoded;
  }
  return key.trim().toLowerCase().replace(/[ .[]/g, "_");
}
