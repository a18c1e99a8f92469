/**
 * A tiny identity provider for the authz tests: a real `Deno.serve` on a free loopback port
 * serving a JWKS, keys that can be rotated, tokens signed with them, and outage modes
 * (errors, hangs, HTML, redirects, oversized sets) that count every fetch.
 */
import { CompactSign, exportJWK, type JWK, type JWTPayload, SignJWT } from "jose";

export type IdpMode = "ok" | "error" | "hang" | "html" | "redirect" | "huge";

export interface TestIdp extends AsyncDisposable {
  readonly issuer: string;
  readonly jwksUri: string;
  /** JWKS requests served so far. */
  readonly fetches: number;
  mode: IdpMode;
  /** OpenID configuration documents served so far. */
  readonly discoveries: number;
  /** Replaces the served OpenID configuration (default: this issuer and its `/jwks`). */
  discoveryDocument: Record<string, unknown> | undefined;
  /** Extra response headers of the JWKS (e.g. Cache-Control). */
  headers: Record<string, string>;
  /** Signs `claims` (iss and a 1 h exp added unless given) with the current key. */
  sign(claims?: JWTPayload, options?: SignOptions): Promise<string>;
  /** Replaces the served keys by a new one; returns its kid. Old tokens become unknown kids. */
  rotate(): Promise<string>;
  /** Signs an arbitrary payload text with the current key (claims JSON cannot express). */
  signRaw(payload: string, header?: Record<string, unknown>): Promise<string>;
  /** Signs `header` and a payload segment as they are, bypassing jose's own checks. */
  signParts(header: Record<string, unknown>, payloadSegment: string): Promise<string>;
  /** The current key's public JWK. */
  readonly publicJwk: JWK;
  /** A key that is never served, for tokens with an unknown kid. */
  signUnknown(claims?: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

export interface SignOptions {
  /** Extra protected-header members (crit, jku, x5u, …). */
  header?: Record<string, unknown>;
  /** Omit the kid from the header. */
  noKid?: boolean;
}

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

let counter = 0;

async function newKey(): Promise<Key> {
  // WebCrypto's own key type (not jose's), so the file type-checks with node's typings loaded.
  const { publicKey, privateKey } = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const kid = `key-${++counter}`;
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" },
  };
}

/** Starts the IdP. */
export async function startIdp(): Promise<TestIdp> {
  let key = await newKey();
  const stray = await newKey();
  let fetches = 0;
  let discoveries = 0;
  const closing = new AbortController();
  const closed = new Promise<void>((resolve) =>
    closing.signal.addEventListener("abort", () => resolve())
  );
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request): Promise<Response> => {
      const path = new URL(request.url).pathname;
      if (path === "/.well-known/openid-configuration") {
        discoveries++;
        if (idp.mode === "error") return new Response("down", { status: 503 });
        return Response.json(
          idp.discoveryDocument ?? { issuer: base, jwks_uri: `${base}/jwks` },
        );
      }
      if (path !== "/jwks" && path !== "/moved") return new Response("not found", { status: 404 });
      fetches++;
      switch (idp.mode) {
        case "error":
          return new Response("down", { status: 503 });
        case "hang":
          await closed;
          return new Response("closed", { status: 503 });
        case "html":
          return new Response("<html></html>", { headers: { "content-type": "text/html" } });
        case "redirect":
          return new Response(null, { status: 302, headers: { location: "/moved" } });
        case "huge":
          return Response.json({ keys: Array.from({ length: 20_000 }, () => key.jwk) });
      }
      return Response.json({ keys: [key.jwk] }, { headers: idp.headers });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  async function signWith(k: Key, claims: JWTPayload, options: SignOptions = {}) {
    const header = { alg: "RS256", ...(options.noKid ? {} : { kid: k.kid }), ...options.header };
    return await new SignJWT({ iss: base, exp: Math.floor(Date.now() / 1000) + 3600, ...claims })
      .setProtectedHeader(header)
      .sign(k.privateKey);
  }
  const idp: TestIdp = {
    issuer: base,
    jwksUri: `${base}/jwks`,
    get fetches() {
      return fetches;
    },
    get discoveries() {
      return discoveries;
    },
    discoveryDocument: undefined,
    mode: "ok",
    headers: {},
    sign: (claims = {}, options) => signWith(key, claims, options),
    signUnknown: (claims = {}) => signWith(stray, claims),
    signRaw: (payload, header = {}) =>
      new CompactSign(new TextEncoder().encode(payload))
        .setProtectedHeader({ alg: "RS256", kid: key.kid, ...header })
        .sign(key.privateKey),
    async signParts(header, payloadSegment) {
      const input = `${
        base64url(JSON.stringify({ alg: "RS256", kid: key.kid, ...header }))
      }.${payloadSegment}`;
      const signature = await crypto.subtle.sign(
        "RSASSA-PKCS1-v1_5",
        key.privateKey,
        new TextEncoder().encode(input),
      );
      return `${input}.${
        new Uint8Array(signature).toBase64({ alphabet: "base64url", omitPadding: true })
      }`;
    },
    get publicJwk() {
      return key.jwk;
    },
    async rotate() {
      key = await newKey();
      return key.kid;
    },
    async close() {
      closing.abort();
      await server.shutdown();
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  return idp;
}

function base64url(text: string): string {
  return new TextEncoder().encode(text).toBase64({ alphabet: "base64url", omitPadding: true });
}
