import assert from "node:assert/strict";
import { type Authentication, DEFAULT_TOKEN_LOCATIONS, uniqueLocations } from "./rule.ts";
import { extractToken, hasLocation } from "./token.ts";

const DEFAULT: Authentication = { issuer: "i", jwksUri: "u", locations: DEFAULT_TOKEN_LOCATIONS };
const CUSTOM: Authentication = {
  issuer: "j",
  jwksUri: "v",
  locations: [{ kind: "header", name: "x-jwt", prefix: "JWT " }, { kind: "param", name: "jwt" }],
};

const SAME_HEADER: Authentication = {
  issuer: "k",
  jwksUri: "w",
  locations: [{ kind: "header", name: "authorization", prefix: "Bearer " }],
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
      name: "DP-AUTHZ-4 comma-joined Authorization (two headers) is ambiguous",
      headers: { authorization: "Bearer a, Bearer b" },
      want: "ambiguous_token",
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
    // Attack class 5 (issue 14): a second token hidden by encoding.
    {
      name: "a %5F-encoded key is the parameter",
      query: "access%5Ftoken=a.b.c",
      want: "found:a.b.c",
    },
    {
      name: "a %61-encoded key is the parameter",
      query: "%61ccess_token=a.b.c",
      want: "found:a.b.c",
    },
    { name: "the value is decoded", query: "access_token=a%2Eb.c", want: "found:a.b.c" },
    ...[
      "access%5Ftoken=x.y.z",
      "%61ccess_token=x.y.z",
      "%61%63%63%65%73%73%5f%74%6f%6b%65%6e=x.y.z",
      "x=1&access%5ftoken=x.y.z",
    ].map((query) => ({
      name: `header + ${query} is ambiguous`,
      headers: { authorization: "Bearer a.b.c" },
      query,
      want: "ambiguous_token",
    })),
    {
      name: "two encoded spellings of one parameter are ambiguous",
      query: "access_token=a.b.c&access%5Ftoken=x.y.z",
      want: "ambiguous_token",
    },
    ...[
      "Access_Token=x.y.z",
      "ACCESS_TOKEN=x.y.z",
      "access.token=x.y.z",
      "access+token=x.y.z",
      "access%20token=x.y.z",
      "access[token=x.y.z",
      "+access_token=x.y.z",
      "access%255Ftoken=x.y.z",
      "x=1;access_token=x.y.z",
    ].flatMap((query) => [
      {
        name: `${query} alone is no token (Envoy matches the exact decoded name)`,
        query,
        want: "none",
      },
      {
        name: `header + ${query} (a lenient upstream's access_token) is ambiguous`,
        headers: { authorization: "Bearer a.b.c" },
        query,
        want: "ambiguous_token",
      },
    ]),
    {
      name: "an empty second parameter is still a second token",
      query: "access_token=a.b.c&access_token=",
      want: "ambiguous_token",
    },
    {
      name: "header + an empty access_token is ambiguous",
      headers: { authorization: "Bearer a.b.c" },
      query: "access_token",
      want: "ambiguous_token",
    },
    { name: "a bare access_token key is invalid", query: "access_token", want: "malformed_token" },
    { name: "an empty access_token is invalid", query: "access_token=", want: "malformed_token" },
    {
      name: "header + an undecodable access_token is ambiguous, not a crash",
      headers: { authorization: "Bearer a.b.c" },
      query: "access_token=%E2%82",
      want: "ambiguous_token",
    },
    {
      name: "an undecodable key never throws and names no parameter",
      query: "access_token%zz=x.y.z&%E2%82=1&%=2",
      want: "none",
    },
    {
      name: "a key with an undecodable escape around the name is no token",
      headers: { authorization: "Bearer a.b.c" },
      query: "%access_token=x.y.z",
      want: "found:a.b.c",
    },
    {
      name: "an empty Authorization header is invalid, not missing",
      headers: { authorization: "" },
      want: "malformed_token",
    },
    {
      name: "an empty Authorization header next to a query token is ambiguous",
      headers: { authorization: "" },
      query: "access_token=a.b.c",
      want: "ambiguous_token",
    },
    {
      name: "a trailing comma is one malformed member, not two tokens",
      headers: { authorization: "Bearer a.b.c," },
      want: "malformed_token",
    },
    {
      name: "two fromHeaders headers joined is ambiguous",
      headers: { "x-jwt": "JWT a.b.c, JWT d.e.f" },
      auths: [CUSTOM],
      want: "ambiguous_token",
    },
    {
      name: "fromHeaders + fromParams is ambiguous",
      headers: { "x-jwt": "JWT a.b.c" },
      query: "jwt=a.b.c",
      auths: [CUSTOM],
      want: "ambiguous_token",
    },
    {
      name: "fromParams with an encoded key + fromHeaders is ambiguous",
      headers: { "x-jwt": "JWT a.b.c" },
      query: "%6Awt=a.b.c",
      auths: [CUSTOM],
      want: "ambiguous_token",
    },
    {
      name: "a parameter that is not a location of the rule is ignored",
      headers: { "x-jwt": "JWT a.b.c" },
      query: "access_token=x.y.z",
      auths: [CUSTOM],
      want: "found:a.b.c",
    },
    {
      name: "a header and a parameter of one name are two places",
      headers: { jwt: "a.b.c" },
      query: "jwt=a.b.c",
      auths: [{
        issuer: "m",
        jwksUri: "x",
        locations: [{ kind: "header", name: "jwt", prefix: "" }, { kind: "param", name: "jwt" }],
      }],
      want: "ambiguous_token",
    },
    {
      name: "a parameter named like a header location is read from the query",
      query: "jwt=a.b.c",
      auths: [{
        issuer: "m",
        jwksUri: "x",
        locations: [{ kind: "header", name: "jwt", prefix: "" }, { kind: "param", name: "jwt" }],
      }],
      want: "found:a.b.c",
    },
    {
      name: "one Authorization header read by two locations is one token",
      headers: { authorization: "Bearer a.b.c" },
      auths: [DEFAULT, SAME_HEADER],
      want: "found:a.b.c",
    },
  ];
  for (const tc of cases) {
    await t.step(
      tc.name,
      () => assert.equal(extract(tc.headers ?? {}, tc.query ?? "", tc.auths), tc.want),
    );
  }
});

Deno.test("extractToken() names every location one header satisfies", () => {
  const got = extractToken(
    { headers: new Headers({ authorization: "Bearer a.b.c" }), query: "" },
    uniqueLocations([DEFAULT, SAME_HEADER]),
  );
  assert.equal(got.kind, "found");
  if (got.kind !== "found") return;
  assert.ok(hasLocation(DEFAULT, got.locations));
  assert.ok(hasLocation(SAME_HEADER, got.locations));
  assert.ok(!hasLocation(CUSTOM, got.locations));
});
