import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { Authentication } from "../../core/authz/rule.ts";
import { DEFAULT_TOKEN_LOCATIONS } from "../../core/authz/rule.ts";
import { startIdp, type TestIdp } from "../../tests/authz/idp.ts";
import { createMetrics } from "../metrics.ts";
import { createJwksManager } from "./jwks.ts";
import { createTokenCache } from "./token_cache.ts";
import { createVerifier } from "./verifier.ts";

function b64(value: string): string {
  return Buffer.from(value).toString("base64url");
}

async function withVerifier(
  fn: (ctx: {
    idp: TestIdp;
    verify: (token: string) => Promise<string>;
    auth: Authentication;
    metrics: ReturnType<typeof createMetrics>;
    verifier: ReturnType<typeof createVerifier>;
  }) => Promise<void>,
) {
  await using idp = await startIdp();
  const metrics = createMetrics();
  const jwks = createJwksManager({ cooldownMs: 0 });
  const verifier = createVerifier({ jwks, cache: createTokenCache(), observer: metrics });
  const auth = { issuer: idp.issuer, jwksUri: idp.jwksUri, locations: DEFAULT_TOKEN_LOCATIONS };
  const verify = async (token: string) => {
    const result = await verifier.verify(token, [auth]);
    return result.ok ? "ok" : result.reason;
  };
  try {
    await fn({ idp, verify, auth, metrics, verifier });
  } finally {
    await jwks.close();
  }
}

Deno.test("TokenVerifier.verify() rejects hostile tokens with 401 reasons (§8 #1–#9)", async (t) => {
  await withVerifier(async ({ idp, verify }) => {
    const good = await idp.sign();
    const [h, p, s] = good.split(".") as [string, string, string];
    const now = Math.floor(Date.now() / 1000);
    const cases: { name: string; token: () => Promise<string> | string; want: string }[] = [
      { name: "a valid token", token: () => good, want: "ok" },
      { name: "§8-1 two segments", token: () => `${h}.${p}`, want: "malformed_token" },
      { name: "§8-1 empty segments", token: () => `${h}..${s}`, want: "malformed_token" },
      { name: "§8-1 extra dots", token: () => `${good}.x`, want: "malformed_token" },
      { name: "§8-2 padding", token: () => `${h}=.${p}.${s}`, want: "malformed_token" },
      { name: "§8-2 whitespace", token: () => `${h}. ${p}.${s}`, want: "malformed_token" },
      { name: "§8-2 NUL", token: () => `${h}.${p}\u0000.${s}`, want: "malformed_token" },
      {
        name: "§8-2 a 1 MB token is refused before decoding",
        token: () => `${h}.${"A".repeat(1 << 20)}.${s}`,
        want: "token_too_large",
      },
      {
        name: "§8-3 header not an object",
        token: () => `${b64("[1]")}.${p}.${s}`,
        want: "malformed_token",
      },
      {
        name: "§8-3 payload not JSON",
        token: () => `${h}.${b64("{nope")}.${s}`,
        want: "malformed_token",
      },
      {
        name: "§8-3 duplicate alg members",
        token: () => `${b64('{"alg":"none","alg":"RS256"}')}.${p}.${s}`,
        want: "signature_invalid",
      },
      {
        name: "§8-4 alg none",
        token: () => `${b64('{"alg":"none"}')}.${p}.`,
        want: "malformed_token",
      },
      {
        name: "§8-4 alg none with a signature",
        token: () => `${b64('{"alg":"none"}')}.${p}.${s}`,
        want: "algorithm_not_allowed",
      },
      {
        name: "§8-4 alg NONE",
        token: () => `${b64('{"alg":"NONE"}')}.${p}.${s}`,
        want: "algorithm_not_allowed",
      },
      {
        name: "§8-4 alg None",
        token: () => `${b64('{"alg":"None"}')}.${p}.${s}`,
        want: "algorithm_not_allowed",
      },
      {
        name: "§8-4 unknown alg",
        token: () => `${b64('{"alg":"XS999"}')}.${p}.${s}`,
        want: "algorithm_not_allowed",
      },
      {
        name: "§8-4 HS256 signed with the RSA public key",
        token: () =>
          new SignJWT({ iss: idp.issuer, exp: now + 60 }).setProtectedHeader({ alg: "HS256" })
            .sign(new TextEncoder().encode(JSON.stringify(idp.publicJwk))),
        want: "algorithm_not_allowed",
      },
      {
        name: "§8-5 kid over 256 bytes",
        token: () => idp.sign({}, { header: { kid: "k".repeat(1_000) } }),
        want: "invalid_key_id",
      },
      {
        name: "§8-5 kid not a string",
        token: () => idp.sign({}, { header: { kid: 7 } }),
        want: "invalid_key_id",
      },
      {
        name: "§8-5 kid as a path",
        token: () => idp.sign({}, { header: { kid: "../../etc/passwd" } }),
        want: "unknown_key",
      },
      {
        name: "§8-6 an embedded jwk is ignored",
        token: async () => {
          const { publicKey, privateKey } = await generateKeyPair("RS256");
          return await new SignJWT({ iss: idp.issuer, exp: now + 60 })
            .setProtectedHeader({
              alg: "RS256",
              kid: idp.publicJwk.kid!,
              jwk: await exportJWK(publicKey),
            })
            .sign(privateKey);
        },
        want: "signature_invalid",
      },
      {
        name: "§8-6 jku and x5u are ignored",
        token: () =>
          idp.sign({}, { header: { jku: "http://127.0.0.1:1/evil", x5u: "http://127.0.0.1:1/x" } }),
        want: "ok",
      },
      {
        name: "§8-7 unknown crit",
        token: () => idp.signParts({ crit: ["x-unknown"], "x-unknown": 1 }, p),
        want: "unsupported_token",
      },
      {
        name: "§8-7 b64 false",
        token: () => idp.signParts({ b64: false, crit: ["b64"] }, p),
        want: "malformed_token",
      },
      {
        name: "§8-8 exp as string",
        token: () => idp.signRaw(`{"iss":"${idp.issuer}","exp":"9999999999"}`),
        want: "invalid_claims",
      },
      {
        name: "§8-8 exp as float",
        token: () => idp.sign({ exp: now + 60.5 }),
        want: "invalid_claims",
      },
      {
        name: "§8-8 exp 1e309",
        token: () => idp.signRaw(`{"iss":"${idp.issuer}","exp":1e309}`),
        want: "invalid_claims",
      },
      { name: "§8-8 negative exp", token: () => idp.sign({ exp: -1 }), want: "token_expired" },
      {
        name: "§8-8 missing exp",
        token: () => idp.signRaw(`{"iss":"${idp.issuer}"}`),
        want: "invalid_claims",
      },
      {
        name: "§8-8 expired beyond the 60 s leeway",
        token: () => idp.sign({ exp: now - 120 }),
        want: "token_expired",
      },
      {
        name: "§8-8 expired within the 60 s leeway",
        token: () => idp.sign({ exp: now - 30 }),
        want: "ok",
      },
      {
        name: "§8-8 nbf far in the future",
        token: () => idp.sign({ nbf: now + 3600 }),
        want: "token_not_yet_valid",
      },
      {
        name: "§8-8 iat in the future is accepted (no maxTokenAge)",
        token: () => idp.sign({ iat: now + 3600 }),
        want: "ok",
      },
      {
        name: "§8-9 aud as object",
        token: () => idp.signRaw(`{"iss":"${idp.issuer}","exp":${now + 60},"aud":{"a":1}}`),
        want: "invalid_claims",
      },
      {
        name: "§8-9 aud with non-strings",
        token: () => idp.signRaw(`{"iss":"${idp.issuer}","exp":${now + 60},"aud":["a",1]}`),
        want: "invalid_claims",
      },
      {
        name: "§8-9 scope as number",
        token: () => idp.signRaw(`{"iss":"${idp.issuer}","exp":${now + 60},"scope":7}`),
        want: "invalid_claims",
      },
      {
        name: "an unconfigured issuer",
        token: () => idp.sign({ iss: "https://evil.example.com" }),
        want: "issuer_not_configured",
      },
      {
        name: "a missing issuer",
        token: () => idp.signRaw(`{"exp":${now + 60}}`),
        want: "issuer_not_configured",
      },
      { name: "an unknown key", token: () => idp.signUnknown(), want: "unknown_key" },
      {
        name: "a tampered payload",
        token: () => `${h}.${b64(`{"iss":"${idp.issuer}","exp":${now + 9999}}`)}.${s}`,
        want: "signature_invalid",
      },
    ];
    for (const tc of cases) {
      await t.step(tc.name, async () => assert.equal(await verify(await tc.token()), tc.want));
    }
  });
});

Deno.test("TokenVerifier.verify() caches by token hash and issuer configuration (§8 #31)", async () => {
  await withVerifier(async ({ idp, verifier, auth, metrics }) => {
    const token = await idp.sign({ scope: "read" });
    const first = await verifier.verify(token, [auth]);
    assert.equal(first.ok && !first.cached && first.payload.scope, "read");
    const hit = await verifier.verify(token, [auth]);
    assert.equal(hit.ok && hit.cached, true);
    const otherConfig = { ...auth, jwksUri: `${idp.jwksUri}?v=2` };
    const miss = await verifier.verify(token, [otherConfig]);
    assert.equal(
      miss.ok && miss.cached,
      false,
      "another JWKS for the issuer is a new verification",
    );
    assert.match(metrics.render(), /apigw_jwt_cache_requests_total\{result="hit"\} [1-9]/);
  });
});

Deno.test("TokenVerifier.verify() picks up a rotated key with one refetch", async () => {
  await withVerifier(async ({ idp, verify }) => {
    assert.equal(await verify(await idp.sign()), "ok");
    await idp.rotate();
    assert.equal(await verify(await idp.sign()), "ok");
    assert.equal(idp.fetches, 2);
  });
});

Deno.test("TokenVerifier.verify() finds keys by discovery when only the issuer is configured", async () => {
  await using idp = await startIdp();
  const jwks = createJwksManager({ cooldownMs: 0 });
  const verifier = createVerifier({ jwks, cache: createTokenCache() });
  const auth = { issuer: idp.issuer, locations: DEFAULT_TOKEN_LOCATIONS };
  try {
    const result = await verifier.verify(await idp.sign({ sub: "alice" }), [auth]);
    assert.equal(result.ok, true);
    assert.equal(idp.discoveries, 1);
    idp.discoveryDocument = { issuer: "https://elsewhere.example", jwks_uri: idp.jwksUri };
    const other = createVerifier({ jwks: createJwksManager(), cache: createTokenCache() });
    const refused = await other.verify(await idp.sign({ sub: "bob" }), [auth]);
    assert.deepEqual(
      refused.ok ? "ok" : [refused.reason, /names issuer/.test(refused.detail ?? "")],
      ["jwks_unavailable", true],
    );
  } finally {
    await jwks.close();
  }
});
