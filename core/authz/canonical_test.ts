import assert from "node:assert/strict";
import {
  canonicalHost,
  type CanonicalOptions,
  canonicalPath,
  canonicalRequest,
  DEFAULT_CANONICAL_OPTIONS,
} from "./canonical.ts";

const BASE = DEFAULT_CANONICAL_OPTIONS;
const MERGE: CanonicalOptions = { normalization: "MERGE_SLASHES", escapedSlashes: "reject" };
const DECODE: CanonicalOptions = {
  normalization: "DECODE_AND_MERGE_SLASHES",
  escapedSlashes: "reject",
};
const KEEP: CanonicalOptions = { normalization: "BASE", escapedSlashes: "keep" };

type Case = { name: string; raw: string; options?: CanonicalOptions; want: string | "reject" };

const PATHS: Case[] = [
  // DP-CANON-1: Istio BASE semantics by default.
  { name: "DP-CANON-1 keeps a plain path", raw: "/orders/1", want: "/orders/1" },
  { name: "DP-CANON-1 decodes unreserved escapes once", raw: "/%7Euser/%41%2D", want: "/~user/A-" },
  { name: "DP-CANON-1 upper-cases kept escapes", raw: "/a%3ab", want: "/a%3Ab" },
  { name: "DP-CANON-1 escapes characters Envoy escapes", raw: '/a"b<c>', want: "/a%22b%3Cc%3E" },
  { name: "DP-CANON-1 MERGE_SLASHES collapses //", raw: "//a///b", options: MERGE, want: "/a/b" },
  {
    name: "DP-CANON-1 DECODE_AND_MERGE_SLASHES decodes %2F before dot segments",
    raw: "/a/..%2Fadmin",
    options: DECODE,
    want: "/admin",
  },
  // §8 #15
  { name: "§8-15 keeps // under BASE", raw: "//admin", want: "//admin" },
  { name: "§8-15 resolves /./", raw: "/./admin", want: "/admin" },
  { name: "§8-15 resolves /public/../admin", raw: "/public/../admin", want: "/admin" },
  { name: "§8-15 keeps .. above the root at the root", raw: "/../../admin", want: "/admin" },
  { name: "§8-15 keeps a trailing slash after ..", raw: "/a/b/..", want: "/a/" },
  // §8 #16
  { name: "§8-16 %2e%2e is ..", raw: "/public/%2e%2e/admin", want: "/admin" },
  { name: "§8-16 %2E. is ..", raw: "/public/%2E./admin", want: "/admin" },
  { name: "§8-16 .%2e is ..", raw: "/public/.%2e/admin", want: "/admin" },
  {
    name: "§8-16 %252e%252e is not decoded twice",
    raw: "/a/%252e%252e/b",
    want: "/a/%252e%252e/b",
  },
  // §8 #17
  { name: "§8-17 backslash is a slash", raw: "/public\\..\\admin", want: "/admin" },
  { name: "§8-17 %2F is rejected by default", raw: "/a%2Fb", want: "reject" },
  { name: "§8-17 %5c is rejected by default", raw: "/a%5cb", want: "reject" },
  { name: "§8-17 %2F is kept when configured", raw: "/a%2fb", options: KEEP, want: "/a%2Fb" },
  // §8 #18
  { name: "§8-18 %00 is rejected", raw: "/a%00b", want: "reject" },
  { name: "§8-18 encoded control characters are rejected", raw: "/a%0Ab", want: "reject" },
  { name: "§8-18 raw control characters are rejected", raw: "/a\u0001b", want: "reject" },
  { name: "§8-18 raw non-ASCII is rejected", raw: "/caf\u00e9", want: "reject" },
  { name: "§8-18 overlong UTF-8 is rejected", raw: "/%C0%AFadmin", want: "reject" },
  { name: "§8-18 a lone surrogate is rejected", raw: "/%ED%A0%80", want: "reject" },
  { name: "§8-18 %zz is rejected", raw: "/a%zz", want: "reject" },
  { name: "§8-18 a cut escape is rejected", raw: "/a%2", want: "reject" },
  { name: "§8-18 valid UTF-8 escapes are kept", raw: "/caf%c3%a9", want: "/caf%C3%A9" },
  // §8 #19–#21
  { name: "§8-19 ..;/ is literal", raw: "/a/..;/admin", want: "/a/..;/admin" },
  { name: "§8-19 ;jsessionid is literal", raw: "/a;jsessionid=1", want: "/a;jsessionid=1" },
  { name: "§8-20 paths keep their case", raw: "/Admin", want: "/Admin" },
  { name: "§8-21 a trailing slash is kept", raw: "/orders/", want: "/orders/" },
  { name: "a path not starting with / is rejected", raw: "orders", want: "reject" },
  { name: "§8-22 a path over 8 KiB is rejected", raw: "/" + "a".repeat(8 * 1024), want: "reject" },
];

Deno.test("canonicalPath() canonicalises raw paths (DP-CANON-1, §8 #15–#21)", async (t) => {
  for (const tc of PATHS) {
    await t.step(tc.name, () => {
      const got = canonicalPath(tc.raw, tc.options ?? BASE);
      if (tc.want === "reject") assert.equal(got.ok, false, JSON.stringify(got));
      else assert.deepEqual(got, { ok: true, value: tc.want });
    });
  }
});

Deno.test("canonicalPath() never throws on arbitrary input (§8 #18)", () => {
  const alphabet = [
    "%",
    "2",
    "e",
    "E",
    "f",
    "F",
    "/",
    "\\",
    ".",
    "a",
    "\u0000",
    "\u00ff",
    "?",
    "0",
  ];
  let seed = 7;
  for (let i = 0; i < 5_000; i++) {
    let raw = "/";
    for (let j = 0; j < 12; j++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      raw += alphabet[seed % alphabet.length];
    }
    for (const options of [BASE, MERGE, DECODE, KEEP]) {
      const got = canonicalPath(raw, options);
      if (got.ok) {
        assert.ok(got.value.startsWith("/"));
        assert.ok(!/\/\.\.?(\/|$)/.test(got.value), `${raw} → ${got.value} keeps a dot segment`);
      }
    }
  }
});

const HOSTS: { name: string; raw: string | null; want: string | "reject" }[] = [
  {
    name: "§8-20 lower-cases and drops the trailing dot",
    raw: "API.Example.COM.",
    want: "api.example.com",
  },
  { name: "§8-20 drops port 443", raw: "api.example.com:443", want: "api.example.com" },
  { name: "§8-20 drops port 80", raw: "api.example.com:80", want: "api.example.com" },
  { name: "keeps other ports", raw: "api.example.com:8443", want: "api.example.com:8443" },
  { name: "keeps IPv6 literals", raw: "[::1]:443", want: "[::1]" },
  { name: "rejects a missing host", raw: null, want: "reject" },
  { name: "rejects two joined hosts", raw: "a.com, b.com", want: "reject" },
  { name: "rejects a bad port", raw: "a.com:x", want: "reject" },
  { name: "rejects empty labels", raw: "a..com", want: "reject" },
  { name: "rejects a wildcard", raw: "*.a.com", want: "reject" },
];

Deno.test("canonicalHost() normalises hosts (DP-CANON-1, §8 #20)", async (t) => {
  for (const tc of HOSTS) {
    await t.step(tc.name, () => {
      const got = canonicalHost(tc.raw);
      if (tc.want === "reject") assert.equal(got.ok, false);
      else assert.deepEqual(got, { ok: true, value: tc.want });
    });
  }
});

Deno.test("canonicalRequest() splits the target and checks the method (§8 #22–#24)", async (t) => {
  const cases = [
    {
      name: "§8-22 keeps the raw query apart from the path",
      raw: { method: "GET", target: "/a/../b?x=%2e&y", host: "h" },
      want: { method: "GET", host: "h", path: "/b", query: "x=%2e&y" },
    },
    {
      name: "§8-23 CONNECT authority form has no path",
      raw: { method: "CONNECT", target: "", host: "h:443" },
      want: { method: "CONNECT", host: "h", path: "", query: "" },
    },
  ];
  for (const tc of cases) {
    await t.step(
      tc.name,
      () => assert.deepEqual(canonicalRequest(tc.raw, BASE), { ok: true, value: tc.want }),
    );
  }
  const rejected = [
    {
      name: "§8-24 lower-case methods",
      raw: { method: "get", target: "/", host: "h" },
      reason: "invalid_method",
    },
    {
      name: "§8-22 a fragment in the target",
      raw: { method: "GET", target: "/a#b", host: "h" },
      reason: "invalid_path",
    },
    {
      name: "§8-22 a query over 8 KiB",
      raw: { method: "GET", target: `/?${"q".repeat(8 * 1024 + 1)}`, host: "h" },
      reason: "query_too_long",
    },
    {
      name: "§8-23 an empty path outside CONNECT",
      raw: { method: "GET", target: "", host: "h" },
      reason: "invalid_path",
    },
  ];
  for (const tc of rejected) {
    await t.step(tc.name, () => {
      const got = canonicalRequest(tc.raw, BASE);
      assert.equal(got.ok ? "ok" : got.error.reason, tc.reason);
    });
  }
});
