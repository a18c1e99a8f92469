/**
 * The webhook's certificate material (docs/spec/certificate.md §2): a fresh CA and a serving certificate
 * signed by it, and the check that decides when to renew (§4). `tls.crt` is the serving
 * certificate followed by the CA; `tls.key` the serving key, PKCS#1 `RSA PRIVATE KEY` for RSA.
 * The CA key is discarded after signing, so the CA can never sign anything else.
 */
// @peculiar/x509 uses tsyringe, which needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { pkcs1ToPkcs8, pkcs8ToPkcs1 } from "./der.ts";

/**
 * `rsa-4096` is what the spec asks for (a minimum for RSA). Generating two 4096-bit keys takes
 * seconds on two cores, so tests that rotate every few seconds use `ecdsa-p256` (PKCS#8 key).
 */
export type KeyAlgorithm = "rsa-4096" | "rsa-2048" | "ecdsa-p256";

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["rsa-4096", "rsa-2048", "ecdsa-p256"];

export interface CertificateBundle {
  /** PEM of the CA certificate. */
  caPem: string;
  /** PEM of the serving certificate followed by the CA (`tls.crt`, also the `caBundle`). */
  certPem: string;
  /** PEM of the serving key (`tls.key`). */
  keyPem: string;
  notAfter: Date;
}

export interface CertificateOptions {
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Lifetime of both certificates, from one hour before `now`; 90 days by default. */
  lifetimeMs?: number;
  now?: Date;
  /** CN base: `<cn>-ca@<unix>` for the CA, `<cn>@<unix>` for the leaf; the first DNS name by default. */
  commonName?: string;
  key?: KeyAlgorithm;
  /** How far `notBefore` lies before `now` (clock-skew margin); one hour by default. */
  backdateMs?: number;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
const SKEW_MS = 60 * 60 * 1000;

function algorithmOf(key: KeyAlgorithm): RsaHashedKeyGenParams | EcKeyGenParams & { hash: string } {
  return key === "ecdsa-p256" ? { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } : {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: key === "rsa-4096" ? 4096 : 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
}

/** Generates a fresh CA and a serving certificate signed by it. */
export async function generateCertificates(
  options: CertificateOptions = {},
): Promise<CertificateBundle> {
  x509.cryptoProvider.set(crypto);
  const key = options.key ?? "rsa-4096";
  const algorithm = algorithmOf(key);
  const now = options.now ?? new Date();
  // Backdated so that clocks slightly behind ours accept it at once (docs/spec/certificate.md §2).
  const notBefore = new Date(now.getTime() - (options.backdateMs ?? SKEW_MS));
  const notAfter = new Date(notBefore.getTime() + (options.lifetimeMs ?? 90 * DAY_MS));
  const commonName = options.commonName ?? options.dnsNames?.[0] ?? "apigw-webhook";
  const stamp = Math.floor(now.getTime() / 1000);
  const [caKeys, leafKeys] = await Promise.all([
    crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]),
    crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]),
  ]) as [CryptoKeyPair, CryptoKeyPair];
  const signature = key === "ecdsa-p256" ? { name: "ECDSA", hash: "SHA-256" } : algorithm;

  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${commonName}-ca@${stamp}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: signature,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment |
          x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${commonName}@${stamp}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: signature,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
        ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", leafKeys.privateKey));
  const keyPem = key === "ecdsa-p256"
    ? x509.PemConverter.encode(pkcs8, "PRIVATE KEY")
    : x509.PemConverter.encode(pkcs8ToPkcs1(pkcs8), "RSA PRIVATE KEY");
  const caPem = ca.toString("pem") + "\n";
  return { caPem, certPem: leaf.toString("pem") + "\n" + caPem, keyPem: keyPem + "\n", notAfter };
}

export type Verdict = { valid: true; notAfter: Date } | { valid: false; reason: string };

/**
 * Whether a `tls.crt`/`tls.key` pair is still good at `at` (docs/spec/certificate.md §4 evaluates at
 * now + 14 days): the first certificate verifies against a CA in the bundle, both are valid at
 * `at`, and the key is readable and belongs to the first certificate (upstream does not check
 * that last part).
 */
export async function verifyCertificates(
  tlsCrt: string,
  tlsKey: string,
  at: Date,
): Promise<Verdict> {
  x509.cryptoProvider.set(crypto);
  let certificates: x509.X509Certificate[];
  try {
    certificates = x509.PemConverter.decode(tlsCrt).map((der) => new x509.X509Certificate(der));
  } catch (error) {
    return { valid: false, reason: `tls.crt is not PEM certificates: ${message(error)}` };
  }
  const [leaf] = certificates;
  if (leaf === undefined) return { valid: false, reason: "tls.crt holds no certificate" };
  const issuer = certificates.find((c) => c !== leaf && c.subject === leaf.issuer) ??
    (leaf.subject === leaf.issuer ? leaf : undefined);
  if (issuer === undefined) {
    return { valid: false, reason: "tls.crt holds no CA for the certificate" };
  }
  for (const certificate of [leaf, issuer]) {
    if (at < certificate.notBefore || at > certificate.notAfter) {
      return { valid: false, reason: `${certificate.subject} is not valid at ${at.toISOString()}` };
    }
  }
  if (!await leaf.verify({ publicKey: issuer.publicKey, signatureOnly: true })) {
    return { valid: false, reason: "the certificate's signature does not verify against its CA" };
  }
  const matches = await keyMatches(leaf, tlsKey);
  if (!matches.ok) return { valid: false, reason: matches.reason };
  return { valid: true, notAfter: leaf.notAfter };
}

async function keyMatches(
  leaf: x509.X509Certificate,
  pem: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const rsa = pem.includes("RSA PRIVATE KEY");
    const [der] = x509.PemConverter.decode(pem);
    if (der === undefined) return { ok: false, reason: "tls.key holds no key" };
    const pkcs8 = rsa ? pkcs1ToPkcs8(new Uint8Array(der)) : new Uint8Array(der);
    const algorithm = leaf.publicKey.algorithm as { name: string; namedCurve?: string };
    const params = algorithm.name === "ECDSA"
      ? { name: "ECDSA", namedCurve: algorithm.namedCurve ?? "P-256", hash: "SHA-256" }
      : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    const key = await crypto.subtle.importKey("pkcs8", pkcs8, params, false, ["sign"]);
    const data = new TextEncoder().encode("apigw key check");
    const signature = await crypto.subtle.sign(params, key, data);
    const publicKey = await leaf.publicKey.export(params, ["verify"]);
    return await crypto.subtle.verify(params, publicKey, signature, data)
      ? { ok: true }
      : { ok: false, reason: "tls.key does not belong to the certificate" };
  } catch (error) {
    return { ok: false, reason: `tls.key is not a readable private key: ${message(error)}` };
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive, non-zero, below 2^63
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
