/**
 * The quickstart's dev signing key: an ES256 key pair generated on first use into the state
 * folder (`.apigw/dev-key.json`, never committed), read by `apigw serve` (whose demo upstream
 * publishes its JWKS) and `apigw token` (which signs with it). Local development only.
 */
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";

/** The issuer the bundled example's APIRule trusts. */
export const DEV_ISSUER = "https://dev.apigw.localhost";
const FILE = "dev-key.json";

export interface DevKey {
  kid: string;
  /** The public key as a JWK with `kid`, `alg` and `use`. */
  publicJwk: JWK;
  sign(
    claims: Record<string, unknown>,
    options: { ttlSeconds: number; now: number },
  ): Promise<string>;
}

/** Reads the dev key of `stateDir`, creating the folder and the key when missing. */
export async function loadDevKey(stateDir: string): Promise<DevKey> {
  const path = `${stateDir.replace(/\/$/, "")}/${FILE}`;
  let stored = await readStored(path);
  if (stored === undefined) {
    await Deno.mkdir(stateDir, { recursive: true });
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = `dev-${crypto.randomUUID().slice(0, 8)}`;
    const temp = `${path}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(temp, JSON.stringify({ kid, jwk }), { mode: 0o600 });
    try {
      // `link` fails when another process created the key first: then that key is the one.
      await Deno.link(temp, path);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    } finally {
      await Deno.remove(temp);
    }
    stored = await readStored(path);
    if (stored === undefined) throw new Error(`Cannot read the dev key "${path}" just written`);
  }
  const { kid, jwk } = stored;
  const privateKey = await importJWK({ ...jwk, alg: "ES256" }, "ES256");
  const { d: _d, ...publicJwk } = jwk;
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg: "ES256", use: "sig" },
    sign(claims, { ttlSeconds, now }) {
      const iat = Math.floor(now / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
        .setIssuer(DEV_ISSUER)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(privateKey);
    },
  };
}

async function readStored(path: string): Promise<{ kid: string; jwk: JWK } | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const value: unknown = JSON.parse(text);
  if (
    typeof value === "object" && value !== null && "kid" in value && "jwk" in value &&
    typeof value.kid === "string" && typeof value.jwk === "object" && value.jwk !== null
  ) {
    return { kid: value.kid, jwk: { ...value.jwk } };
  }
  throw new SyntaxError(`Dev key file "${path}" is not {"kid", "jwk"}`);
}
