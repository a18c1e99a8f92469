/**
 * Self-signed CA and serving certificates for the webhook server (certificate.md): a CA, and a
 * leaf signed by it for the given DNS names and IP addresses. PEM in, PEM out.
 */
// @peculiar/x509 uses tsyringe, which needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

const ALGORITHM = {
  name: "ECDSA",
  namedCurve: "P-256",
  hash: "SHA-256",
} as const;

export interface CertificateBundle {
  /** PEM of the CA certificate (what goes into a `caBundle`). */
  caPem: string;
  /** PEM of the serving certificate followed by the CA (`tls.crt`). */
  certPem: string;
  /** PKCS#8 PEM of the serving key (`tls.key`). */
  keyPem: string;
  notAfter: Date;
}

export interface CertificateOptions {
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Lifetime of both certificates; defaults to 90 days (certificate.md). */
  lifetimeMs?: number;
  now?: Date;
  commonName?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Generates a fresh CA and a serving certificate signed by it. */
export async function generateCertificates(
  options: CertificateOptions = {},
): Promise<CertificateBundle> {
  x509.cryptoProvider.set(crypto);
  const now = options.now ?? new Date();
  // Backdated by an hour so that clocks slightly behind ours accept it at once.
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const notAfter = new Date(now.getTime() + (options.lifetimeMs ?? 90 * DAY_MS));
  const commonName = options.commonName ?? options.dnsNames?.[0] ?? "apigw-webhook";
  const stamp = Math.floor(now.getTime() / 1000);

  const caKeys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${commonName}-ca@${stamp}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const leafKeys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const names: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${commonName}@${stamp}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });

  const pkcs8 = await crypto.subtle.exportKey("pkcs8", leafKeys.privateKey);
  const caPem = ca.toString("pem") + "\n";
  return {
    caPem,
    certPem: leaf.toString("pem") + "\n" + caPem,
    keyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") + "\n",
    notAfter,
  };
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // positive
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
