import assert from "node:assert/strict";
import { hubJwtOf, mergeJwt } from "./jwt.ts";

const ISSUER = "https://dex.example.com";
const JWKS = "https://dex.example.com/keys";

Deno.test("hubJwtOf() converts the jwt strategy config as §7 says", async (t) => {
  const cases: { name: string; config: Record<string, unknown> | undefined; jwt: unknown }[] = [
    { name: "no config is not convertible", config: undefined, jwt: undefined },
    { name: "an empty config is not convertible", config: {}, jwt: undefined },
    {
      name: "Istio dialect: authentications and authorizations are copied unchanged",
      config: {
        authentications: [{
          issuer: ISSUER,
          jwksUri: JWKS,
          fromHeaders: [{ name: "X-Token", prefix: "Bearer " }],
          fromParams: ["token"],
        }],
        authorizations: [{ requiredScopes: ["read"], audiences: ["shop"] }],
      },
      jwt: {
        authentications: [{
          issuer: ISSUER,
          jwksUri: JWKS,
          fromHeaders: [{ name: "X-Token", prefix: "Bearer " }],
          fromParams: ["token"],
        }],
        authorizations: [{ requiredScopes: ["read"], audiences: ["shop"] }],
      },
    },
    {
      name: "Istio dialect: an absent list stays absent",
      config: { authorizations: [{ audiences: ["shop"] }] },
      jwt: { authorizations: [{ audiences: ["shop"] }] },
    },
    {
      name: "Istio dialect: unknown keys are dropped",
      config: { authentications: [{ issuer: ISSUER, jwksUri: JWKS, extra: 1 }], other: true },
      jwt: { authentications: [{ issuer: ISSUER, jwksUri: JWKS }] },
    },
    {
      name: "Ory dialect: one issuer and one JWKS URL, scope and audience",
      config: {
        trusted_issuers: [ISSUER],
        jwks_urls: [JWKS],
        required_scope: ["read"],
        target_audience: ["shop"],
        allowed_algorithms: ["RS256"],
      },
      jwt: {
        authentications: [{ issuer: ISSUER, jwksUri: JWKS }],
        authorizations: [{ requiredScopes: ["read"], audiences: ["shop"] }],
      },
    },
    {
      name: "Ory dialect: no scope and no audience give an empty authorization",
      config: { trusted_issuers: [ISSUER], jwks_urls: [JWKS] },
      jwt: { authentications: [{ issuer: ISSUER, jwksUri: JWKS }], authorizations: [{}] },
    },
    {
      name: "Ory dialect: two issuers are not convertible",
      config: { trusted_issuers: [ISSUER, "https://other"], jwks_urls: [JWKS] },
      jwt: undefined,
    },
    {
      name: "Ory dialect: no JWKS URL is not convertible",
      config: { trusted_issuers: [ISSUER] },
      jwt: undefined,
    },
    {
      name: "empty Istio lists fall through to the Ory dialect",
      config: { authentications: [], trusted_issuers: [ISSUER], jwks_urls: [JWKS] },
      jwt: { authentications: [{ issuer: ISSUER, jwksUri: JWKS }], authorizations: [{}] },
    },
  ];
  for (const tc of cases) {
    await t.step(
      tc.name,
      () => assert.deepEqual(hubJwtOf(tc.config, "c"), { ok: true, value: tc.jwt }),
    );
  }
});

Deno.test("hubJwtOf() fails on a known key of the wrong JSON type, naming the key", async (t) => {
  const cases: [Record<string, unknown>, string][] = [
    [{ authentications: "x" }, "c.authentications"],
    [{ authentications: [{ issuer: 1 }] }, "c.authentications[0].issuer"],
    [{ authorizations: [{ audiences: "shop" }] }, "c.authorizations[0].audiences"],
    [{ trusted_issuers: "x" }, "c.trusted_issuers"],
    [{ jwks_urls: [1] }, "c.jwks_urls[0]"],
  ];
  for (const [config, field] of cases) {
    await t.step(field, () => {
      const result = hubJwtOf(config, "c");
      assert.equal(result.ok, false);
      assert.equal(result.ok ? "" : result.error.field, field);
    });
  }
});

Deno.test("hubJwtOf() ignores a wrongly typed Ory key when the Istio dialect applies", () => {
  const config = { authentications: [{ issuer: ISSUER, jwksUri: JWKS }], trusted_issuers: "x" };
  assert.equal(hubJwtOf(config, "c").ok, true);
});

Deno.test("mergeJwt() lets a later strategy's keys win", () => {
  const earlier = { authentications: [{ issuer: "a", jwksUri: "a" }], authorizations: [{}] };
  const later = { authentications: [{ issuer: "b", jwksUri: "b" }] };
  assert.deepEqual(mergeJwt(earlier, later), {
    authentications: [{ issuer: "b", jwksUri: "b" }],
    authorizations: [{}],
  });
});
