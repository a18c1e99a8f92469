import assert from "node:assert/strict";
import { type Authentication, DEFAULT_TOKEN_LOCATIONS, uniqueLocations } from "./rule.ts";
import { extractToken } from "./token.ts";

const DEFAULT: Authentication = { issuer: "i", jwksUri: "u", locations: DEFAULT_TOKEN_LOCATIONS };
const CUSTOM: Authentication = {
  issuer: "j",
  jwksUri: "v",
  locations: [{ kind: "header", name: "x-jwt", prefix: "JWT " }, { kind: "param", name: "jwt" }],
};

function extract(headers: Record<string, string>, query = "", auths = [DEFAULT]) {
  const got = extractToken({ headers: new Headers(headers), query }, uniqueLocations(auths));
  return got.kind === "found" ? `found:${got.token}` : got.kind === "invalid" ? got.reason : "none";
}

Deno.test("extractToken() finds exactly one token (DP-JWT-1, DP-AUTHZ-4, §8 #10, #22)", async (t) => {
  const cases: {
    name: string;
    headers?: Record<string, string>;
    query?: string;
    auths?: Authentication[];
    want: string;
  }[] = [
    { name: "no token is none", want: "none" },
    { name: "Bearer header", headers: { authorization: "Bearer a.b.c" }, want: "found:a.b.c" },
    {
      name: "§8-10 scheme is case-insensitive with 1+ spaces",
      headers: { authorization: "bEaReR   a.b.c" },
      want: "found:a.b.c",
    },
    { name: "access_token query parameter", query: "x=1&access_token=a.b.c", want: "found:a.b.c" },
    {
      name: "DP-JWT-1 header and query is ambiguous",
      headers: { authorization: "Bearer a.b.c" },
      query: "access_token=a.b.c",
      want: "ambiguous_token",
    },
    {
      name: "§8-22 access_token twice is ambiguous",
      query: "access_token=a&access_token=b",
      want: "ambiguous_token",
    },
    {
      name: "DP-AUTHZ-4 comma-joined Authorization is invalid",
      headers: { authorization: "Bearer a, Bearer b" },
      want: "malformed_token",
    },
    {
      name: "§8-10 Bearer twice is invalid",
      headers: { authorization: "Bearer Bearer a" },
      want: "malformed_token",
    },
    {
      name: "§8-10 another scheme is invalid, not missing",
      headers: { authorization: "Basic dXNlcjpwYXNz" },
      want: "malformed_token",
    },
    {
      name: "§8-10 an empty bearer is invalid",
      headers: { authorization: "Bearer " },
      want: "malformed_token",
    },
    {
      name: "§8-25 non-UTF-8 bytes (!) are invalid",
      headers: { authorization: "Bearer a.!.c" },
      want: "malformed_token",
    },
    {
      name: "fromHeaders prefix is stripped",
      headers: { "x-jwt": "JWT a.b.c" },
      auths: [CUSTOM],
      want: "found:a.b.c",
    },
    {
      name: "fromHeaders without the prefix is invalid",
      headers: { "x-jwt": "a.b.c" },
      auths: [CUSTOM],
      want: "malformed_token",
    },
    {
      name: "fromHeaders replaces the defaults",
      headers: { authorization: "Bearer a.b.c" },
      auths: [CUSTOM],
      want: "none",
    },
    { name: "fromParams", query: "jwt=a.b.c", auths: [CUSTOM], want: "found:a.b.c" },
    {
      name: "DP-JWT-1 two locations of two authentications",
      headers: { authorization: "Bearer a.b.c", "x-jwt": "JWT a.b.c" },
      auths: [DEFAULT, CUSTOM],
      want: "ambiguous_token",
    },
    {
      name: "an undecodable parameter is invalid",
      query: "access_token=%zz",
      want: "malformed_token",
    },
  ];
  for (const tc of cases) {
    await t.step(
      tc.name,
      () => assert.equal(extract(tc.headers ?? {}, tc.query ?? "", tc.auths), tc.want),
    );
  }
});
