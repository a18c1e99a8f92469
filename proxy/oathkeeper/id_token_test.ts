import assert from "node:assert/strict";
import { createLocalJWKSet, jwtVerify } from "jose";
import { createIdTokenSigner } from "./id_token.ts";
import { testClock } from "./_testing.ts";

const HOUR = 3_600_000;
const SECRET = new TextEncoder().encode("a shared secret of at least 32 bytes!!");

Deno.test("createIdTokenSigner() rotates keys per period and keeps the previous one in the JWKS", async () => {
  const clock = testClock();
  const signer = createIdTokenSigner({ secret: SECRET, rotateMs: HOUR, now: clock.now });
  const options = { issuer: "https://apigw", subject: "alice", ttlSeconds: 3600 };
  const before = await signer.sign({}, options);
  const firstKids = (await signer.jwks()).keys.map((k) => k.kid);
  assert.equal(firstKids.length, 3);
  // Into the next period: the token signed just before is still valid.
  clock.advance(HOUR - (clock.now() % HOUR) + 1);
  const after = await signer.sign({}, options);
  const jwks = await signer.jwks();
  assert.deepEqual(jwks.keys.map((k) => k.kid), [...firstKids.slice(1), jwks.keys[2]!.kid]);
  const keys = createLocalJWKSet(jwks);
  const at = new Date(clock.now());
  const old = await jwtVerify(before, keys, { issuer: "https://apigw", currentDate: at });
  const current = await jwtVerify(after, keys, { issuer: "https://apigw", currentDate: at });
  assert.notEqual(old.protectedHeader.kid, current.protectedHeader.kid);
  assert.equal(current.protectedHeader.kid, firstKids[2], "the key was published a period early");
});

Deno.test("createIdTokenSigner() gives replicas with one secret the same keys", async () => {
  const clock = testClock();
  const a = createIdTokenSigner({ secret: SECRET, now: clock.now });
  const b = createIdTokenSigner({ secret: SECRET, now: clock.now });
  assert.deepEqual(await a.jwks(), await b.jwks());
  const other = createIdTokenSigner({ now: clock.now });
  assert.notDeepEqual(await a.jwks(), await other.jwks());
  assert.throws(() => createIdTokenSigner({ secret: new Uint8Array(8) }), RangeError);
});

Deno.test("createIdTokenSigner() reuses a token for half its life, then signs a new one", async () => {
  const clock = testClock();
  const signer = createIdTokenSigner({ secret: SECRET, now: clock.now });
  const options = { issuer: "https://apigw", subject: "alice", ttlSeconds: 60 };
  const first = await signer.sign({ a: 1 }, options);
  assert.equal(await signer.sign({ a: 1 }, options), first);
  assert.notEqual(await signer.sign({ a: 2 }, options), first, "other claims, other token");
  clock.advance(31_000);
  assert.notEqual(await signer.sign({ a: 1 }, options), first);
});
