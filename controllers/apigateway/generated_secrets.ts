/**
 * Key material of the Secrets the APIGateway plan lists in `generate` (spec README decisions 9
 * and 10; docs/spec/apigateway.md §7.4, §8.5): an existing Secret's data is kept while it still fits — a
 * parseable RSA key set, a certificate that covers the DNS names and is not about to expire — and
 * new material is generated otherwise. The Secret is read directly, never from a cache.
 */
// @peculiar/x509 uses tsyringe, which needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { KubeObject } from "../../api/meta.ts";
import type { GeneratedMaterial, GeneratedSecret } from "../../core/apigateway/generated.ts";
import type { Result } from "../../api/result.ts";
import type { KubeError } from "../../kube/errors.ts";
import { isRecord } from "../../kube/object.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** A certificate closer than this to its end is replaced. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Lifetime of a generated local-mode certificate. */
const CERTIFICATE_LIFETIME_MS = 3 * 365 * DAY_MS;

const RSA = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
} as const;

/** Reads a Secret: the object, undefined when absent, or the error. */
export type ReadSecret = (
  namespace: string,
  name: string,
) => Promise<Result<KubeObject | undefined, KubeError>>;

/**
 * `objects` with the `data` of every generated Secret filled in. A Secret whose current data
 * cannot be read is left out, with the error: generating anew would rotate a working key.
 */
export async function withGeneratedData(
  objects: readonly KubeObject[],
  generate: readonly GeneratedSecret[],
  options: { read: ReadSecret; now: Date },
): Promise<{ objects: KubeObject[]; failures: Array<{ object: KubeObject; error: KubeError }> }> {
  const failures: Array<{ object: KubeObject; error: KubeError }> = [];
  const filled: KubeObject[] = [];
  for (const object of objects) {
    const entry = generate.find((g) =>
      object.kind === "Secret" && object.metadata.namespace === g.namespace &&
      object.metadata.name === g.name
    );
    if (entry === undefined) {
      filled.push(object);
      continue;
    }
    const existing = await options.read(entry.namespace, entry.name);
    if (!existing.ok) {
      failures.push({ object, error: existing.error });
      continue;
    }
    const current = existing.value !== undefined && isRecord(existing.value.data)
      ? stringData(existing.value.data)
      : {};
    const data = await fits(current, entry.material, options.now)
      ? current
      : await generateMaterial(entry.material, options.now);
    filled.push({ ...object, data });
  }
  return { objects: filled, failures };
}

/** Whether `data` (base64 values) still holds valid material of the kind wanted. */
export async function fits(
  data: Readonly<Record<string, string>>,
  material: GeneratedMaterial,
  now: Date,
): Promise<boolean> {
  try {
    if (material.kind === "JWKS") {
      const set: unknown = JSON.parse(fromBase64(data["jwks.json"] ?? ""));
      const key = isRecord(set) && Array.isArray(set.keys) ? set.keys[0] : undefined;
      if (!isRecord(key) || key.kty !== "RSA" || typeof key.d !== "string") return false;
      await crypto.subtle.importKey("jwk", { ...key, key_ops: ["sign"] }, RSA, false, ["sign"]);
      return true;
    }
    const pem = fromBase64(data["tls.crt"] ?? "");
    if (!fromBase64(data["tls.key"] ?? "").includes("PRIVATE KEY")) return false;
    const certificate = new x509.X509Certificate(pem);
    if (certificate.notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS) return false;
    const names = certificate.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON() ??
      [];
    const dns = names.filter((n) => n.type === "dns").map((n) => n.value);
    return material.dnsNames.every((name) => dns.includes(name));
  } catch {
    return false;
  }
}

/** Fresh material for a Secret's `data` (base64 values). */
export async function generateMaterial(
  material: GeneratedMaterial,
  now: Date,
): Promise<Record<string, string>> {
  if (material.kind === "JWKS") {
    const keys = await crypto.subtle.generateKey(RSA, true, ["sign", "verify"]);
    const jwk = await crypto.subtle.exportKey("jwk", keys.privateKey);
    const { key_ops: _ops, ext: _ext, ...members } = jwk;
    const set = {
      keys: [{ ...members, kty: "RSA", alg: "RS256", use: "sig", kid: crypto.randomUUID() }],
    };
    return { "jwks.json": toBase64(JSON.stringify(set)) };
  }
  x509.cryptoProvider.set(crypto);
  const keys = await crypto.subtle.generateKey(RSA, true, ["sign", "verify"]);
  const commonName = material.dnsNames[0] ?? "kyma-gateway";
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Array.from(
      crypto.getRandomValues(new Uint8Array(16)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("").replace(/^[89a-f]/, "1"),
    name: `O=apigw, CN=${commonName}`,
    // Backdated an hour, so that clocks slightly behind ours accept it at once.
    notBefore: new Date(now.getTime() - 60 * 60 * 1000),
    notAfter: new Date(now.getTime() + CERTIFICATE_LIFETIME_MS),
    keys,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        material.dnsNames.map((value) => ({ type: "dns" as const, value })),
      ),
    ],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem = x509.PemConverter.encode(pkcs8.buffer, "PRIVATE KEY");
  return {
    "tls.crt": toBase64(certificate.toString("pem") + "\n"),
    "tls.key": toBase64(keyPem + "\n"),
  };
}

function stringData(data: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(data).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

function toBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(base64: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}
