import assert from "node:assert/strict";
import type { OryTokenFrom } from "../../core/authz/oathkeeper/strategies.ts";
import { oryToken } from "./token_from.ts";

function read(from: OryTokenFrom, headers: Record<string, string>, query = ""): string {
  const got = oryToken(from, { headers: new Headers(headers), request: { query } });
  return got.kind === "found" ? `found:${got.token}` : got.kind;
}

Deno.test("oryToken() reads one token per handler and refuses a second (issue 14 class 5)", async (t) => {
  const bearer: OryTokenFrom = { kind: "bearer" };
  const query: OryTokenFrom = { kind: "query", name: "token" };
  const header: OryTokenFrom = { kind: "header", name: "x-token" };
  const cookie: OryTokenFrom = { kind: "cookie", name: "t" };
  const cases: {
    name: string;
    from: OryTokenFrom;
    headers?: Record<string, string>;
    query?: string;
    want: string;
  }[] = [
    { name: "Bearer", from: bearer, headers: { authorization: "Bearer a" }, want: "found:a" },
    { name: "no header", from: bearer, want: "none" },
    { name: "another scheme", from: bearer, headers: { authorization: "Basic a" }, want: "none" },
    {
      name: "two Authorization headers (comma-joined)",
      from: bearer,
      headers: { authorization: "Bearer a, Bearer b" },
      want: "ambiguous",
    },
    ...["access_token=b", "access%5Ftoken=b", "%61ccess_token=b", "Access_Token=b"].map((q) => ({
      name: `Bearer + ${q} (RFC 6750 §2: one method)`,
      from: bearer,
      headers: { authorization: "Bearer a" },
      query: q,
      want: "ambiguous",
    })),
    {
      name: "an access_token parameter alone is not the bearer handler's",
      from: bearer,
      query: "access_token=b",
      want: "none",
    },
    { name: "query parameter", from: query, query: "token=a", want: "found:a" },
    { name: "encoded query key", from: query, query: "t%6Fken=a", want: "found:a" },
    { name: "repeated query parameter", from: query, query: "token=a&token=b", want: "ambiguous" },
    {
      name: "encoded repeat of the query parameter",
      from: query,
      query: "token=a&%74oken=b",
      want: "ambiguous",
    },
    {
      name: "query token + Bearer header",
      from: query,
      headers: { authorization: "Bearer b" },
      query: "token=a",
      want: "ambiguous",
    },
    { name: "undecodable value never throws", from: query, query: "token=%zz", want: "none" },
    { name: "empty query value", from: query, query: "token=", want: "none" },
    { name: "custom header", from: header, headers: { "x-token": "a" }, want: "found:a" },
    {
      name: "repeated custom header",
      from: header,
      headers: { "x-token": "a, b" },
      want: "ambiguous",
    },
    { name: "cookie", from: cookie, headers: { cookie: "x=1; t=a" }, want: "found:a" },
    { name: "repeated cookie", from: cookie, headers: { cookie: "t=a; t=b" }, want: "ambiguous" },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => assert.equal(read(tc.from, tc.headers ?? {}, tc.query), tc.want));
  }
});
