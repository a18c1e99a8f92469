/**
 * Where Oathkeeper handlers find their credentials (`token_from`, helper/bearer.go): the
 * `Authorization: Bearer` default, a header, a query parameter, a cookie; and the request's
 * cookies as pairs.
 */
import type { OryTokenFrom } from "../../core/authz/oathkeeper/strategies.ts";
import type { HeaderReader } from "../../core/authz/token.ts";

/** The token an Oathkeeper handler reads (`token_from`, else `Authorization: Bearer`). */
export function oryToken(
  from: OryTokenFrom,
  input: { headers: HeaderReader; request: { query: string } },
): string | undefined {
  switch (from.kind) {
    case "bearer":
      return bearerToken(input.headers.get("authorization"));
    case "header": {
      // Oathkeeper: `Authorization` keeps the Bearer parsing; other headers carry the bare token.
      if (from.name === "authorization") return bearerToken(input.headers.get("authorization"));
      const value = input.headers.get(from.name);
      return value === null || value === "" ? undefined : value;
    }
    case "query": {
      const value = new URLSearchParams(input.request.query).get(from.name);
      return value === null || value === "" ? undefined : value;
    }
    case "cookie":
      return parseCookies(input.headers.get("cookie")).find(([n]) => n === from.name)?.[1];
  }
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
