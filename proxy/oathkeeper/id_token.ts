/**
 * The signer of the `id_token` mutator: ES256 JWTs with apigw's own keys. Keys rotate every
 * `rotateMs`; the JWKS (served at `/.well-known/jwks.json` on the management listener) lists the
 * previous key (tokens it signed are still valid), the current one and the next one (published a
 * whole period before it signs, so backends that cache the JWKS know it in time).
 *
 * Each period's key is derived (HKDF-SHA-256) from a secret and the period number, so replicas
 * that share the secret sign with the same key and serve the same JWKS without talking to each
 * other. Without a configured secret a random one is used: fine for one replica.
 */
import { createECDH, hkdfSync } from "node:crypto";
import { type JWK, SignJWT } from "jose";

export interface IdTokenSigner {
  /** Signs `claims` (iss, sub, iat, exp and jti are set here) valid for `ttlSeconds`. */
  sign(
    claims: Record<string, unknown>,
    options: { issuer: string; subject: string; ttlSeconds: number },
  ): Promise<string>;
  /** The public keys tokens may be verified with now. */
  jwks(): Promise<{ keys: JWK[] }>;
}

export interface SignerOptions {
  /** Shared by all replicas; at least 32 bytes. */
  secret?: Uint8Array;
  /** Key period; must exceed the longest id_token TTL (tokens outlive their key by < 1 period). */
  rotateMs?: number;
  now?: () => number;
}

interface PeriodKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** Creates a signer. */
export function createIdTokenSigner(options: SignerOptions = {}): IdTokenSigner {
  const secret = options.secret ?? crypto.getRandomValues(new Uint8Array(32));
  if (secret.byteLength < 32) throw new RangeError("id_token secret must have at least 32 bytes");
  const rotateMs = options.rotateMs ?? 24 * 3_600_000;
  const now = options.now ?? Date.now;
  const keys = new Map<number, Promise<PeriodKey>>();
  const cache = new Map<string, { token: string; renewAt: number }>();

  function keyFor(period: number): Promise<PeriodKey> {
    let key = keys.get(period);
    if (key === undefined) {
      key = deriveKey(secret, period);
      keys.set(period, key);
      for (const known of keys.keys()) if (known < period - 2) keys.delete(known);
    }
    return key;
  }

  return {
    async sign(claims, { issuer, subject, ttlSeconds }) {
      const at = now();
      const period = Math.floor(at / rotateMs);
      const cacheKey = JSON.stringify([period, issuer, subject, ttlSeconds, claims]);
      const known = cache.get(cacheKey);
      if (known !== undefined && at < known.renewAt) return known.token;
      const key = await keyFor(period);
      const iat = Math.floor(at / 1000);
      const token = await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" })
        .setIssuer(issuer)
        .setSubject(subject)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .setJti(crypto.randomUUID())
        .sign(key.privateKey);
      // Reused for half its life: the backend always gets a token with time left.
      if (cache.size >= 10_000) cache.delete(cache.keys().next().value!);
      cache.set(cacheKey, { token, renewAt: at + ttlSeconds * 500 });
      return token;
    },
    async jwks() {
      const period = Math.floor(now() / rotateMs);
      const published = await Promise.all([period - 1, period, period + 1].map(keyFor));
      return { keys: published.map((k) => k.publicJwk) };
    },
  };
}

async function deriveKey(secret: Uint8Array, period: number): Promise<PeriodKey> {
  for (let attempt = 0;; attempt++) {
    const d = new Uint8Array(
      hkdfSync("sha256", secret, "apigw id_token", `period ${period} attempt ${attempt}`, 32),
    );
    const ecdh = createECDH("prime256v1");
    try {
      ecdh.setPrivateKey(d);
    } catch {
      continue; // d ≥ the group order: about 1 in 2^32, derive again
    }
    const point = ecdh.getPublicKey();
    const x = base64url(point.subarray(1, 33));
    const y = base64url(point.subarray(33));
    const kid = `apigw-${period}-${x.slice(0, 8)}`;
    const privateKey = await crypto.subtle.importKey(
      "jwk",
      { kty: "EC", crv: "P-256", d: base64url(d), x, y },
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign"],
    );
    return {
      kid,
      privateKey,
      publicJwk: { kty: "EC", crv: "P-256", x, y, kid, alg: "ES256", use: "sig" },
    };
  }
}

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
