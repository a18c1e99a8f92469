/**
 * Where Oathkeeper handlers find their credentials (`token_from`, helper/bearer.go): the
 * `Authorization: Bearer` default, a header, a query parameter, a cookie; and the request's
 * cookies as pairs.
 */
import type { OryTokenFrom } from "../../core/authz/oathkeeper/strategies.ts";
import { type HeaderReader, readParam } from "../../core/authz/token.ts";

/** What a handler's `token_from` yields: nothing, its one token, or more than one. */
export type OryToken = { kind: "none" } | { kind: "found"; token: string } | { kind: "ambiguous" };

/**
 * The token an Oathkeeper handler reads (`token_from`, else `Authorization: Bearer`). Oathkeeper
 * takes the first of repeated values; apigw refuses a second token instead (DP-JWT-1, issue 14
 * attack class 5): a repeated header (comma-joined), a repeated or lenient-spelled query
 * parameter (keys decoded first), a repeated cookie, and, since RFC 6750 §2 allows one method
 * per request, a bearer header next to an `access_token` parameter or a query token next to a
 * bearer header.
 */
export function oryToken(
  from: OryTokenFrom,
  input: { headers: HeaderReader; request: { query: string } },
): OryToken {
  const own = ownToken(from, input);
  if (own.kind !== "found") return own;
  const readsAuthorization = from.kind === "bearer" ||
    (from.kind === "header" && from.name === "authorization");
  if (readsAuthorization && readParam(input.request.query, "access_token").count > 0) {
    return { kind: "ambiguous" };
  }
  if (from.kind === "query" && bearerToken(input.headers.get("authorization")) !== undefined) {
    return { kind: "ambiguous" };
  }
  return own;
}

function ownToken(
  from: OryTokenFrom,
  input: { headers: HeaderReader; request: { query: string } },
): OryToken {
  switch (from.kind) {
    case "bearer":
      return headerValue(input.headers.get("authorization"), bearerToken);
    case "header":
      // Oathkeeper: `Authorization` keeps the Bearer parsing; other headers carry the bare token.
      return headerValue(
        input.headers.get(from.name),
        from.name === "authorization" ? bearerToken : (v) => v === "" ? undefined : v,
      );
    case "query": {
      const read = readParam(input.request.query, from.name);
      if (read.count > 1) return { kind: "ambiguous" };
      return read.single.kind === "token" ? found(read.single.token) : { kind: "none" };
    }
    case "cookie": {
      const values = parseCookies(input.headers.get("cookie")).filter(([n]) => n === from.name);
      if (values.length > 1) return { kind: "ambiguous" };
      return values[0] === undefined ? { kind: "none" } : found(values[0][1]);
    }
  }
}

/** A header's token; a repeated header arrives comma-joined and carries more than one. */
function headerValue(
  value: string | null,
  token: (value: string) => string | undefined,
): OryToken {
  if (value === null) return { kind: "none" };
  if (value.split(",").filter((m) => m.trim() !== "").length > 1) return { kind: "ambiguous" };
  const read = token(value);
  return read === undefined ? { kind: "none" } : found(read);
}

function found(token: string): OryToken {
  return token === "" ? { kind: "none" } : { kind: "found", token };
}

function bearerToken(value: string | null): string | undefined {
  if (value === null) return undefined;
  const space = value.indexOf(" ");
  if (space === -1 || value.slice(0, space).toLowerCase() !== "bearer") return undefined;
  const token = value.slice(space + 1).trim();
  return token === "" ? undefined : token;
}

export function parseCookies(header: string | null): Array<[string, string]> {
  if (header === null) return [];
  return header.split(";").flatMap((part) => {
    const eq = part.indexOf("=");
    if (eq <= 0) return [];
    return [[part.slice(0, eq).trim(), part.slice(eq + 1).trim()] as [string, string]];
  });
}
