/**
 * The little DER handling PEM keys need: RSA keys move between PKCS#8 (what WebCrypto exports
 * and imports) and PKCS#1 (`RSA PRIVATE KEY`, what the webhook Secret stores, docs/spec/certificate.md §2).
 */

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
// AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }
const RSA_ALGORITHM = Uint8Array.from([
  0x30,
  0x0d,
  0x06,
  0x09,
  0x2a,
  0x86,
  0x48,
  0x86,
  0xf7,
  0x0d,
  0x01,
  0x01,
  0x01,
  0x05,
  0x00,
]);

interface Element {
  tag: number;
  /** Offset of the content. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

function read(der: Uint8Array, offset: number): Element {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) throw new RangeError("Truncated DER element");
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new RangeError("Unsupported DER length");
    length = 0;
    for (let i = 0; i < bytes; i++) length = (length << 8) | (der[start + i] ?? 0);
    start += bytes;
  }
  const end = start + length;
  if (end > der.length) throw new RangeError("DER length beyond the data");
  return { tag, start, end };
}

function encode(tag: number, content: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const n = content.length;
  const length = n < 0x80
    ? [n]
    : n < 0x100
    ? [0x81, n]
    : n < 0x10000
    ? [0x82, n >> 8, n & 0xff]
    : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + length.length + n);
  out[0] = tag;
  out.set(length, 1);
  out.set(content, 1 + length.length);
  return out;
}

/** The PKCS#1 `RSAPrivateKey` inside a PKCS#8 `PrivateKeyInfo`. */
export function pkcs8ToPkcs1(pkcs8: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const outer = read(pkcs8, 0);
  if (outer.tag !== SEQUENCE) throw new RangeError("PKCS#8 key is not a SEQUENCE");
  const version = read(pkcs8, outer.start);
  if (version.tag !== INTEGER) throw new RangeError("PKCS#8 key has no version");
  const algorithm = read(pkcs8, version.end);
  const key = read(pkcs8, algorithm.end);
  if (key.tag !== OCTET_STRING) throw new RangeError("PKCS#8 key has no private key octets");
  return pkcs8.slice(key.start, key.end);
}

/** A PKCS#8 `PrivateKeyInfo` around a PKCS#1 `RSAPrivateKey`. */
export function pkcs1ToPkcs8(pkcs1: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const inner = read(pkcs1, 0);
  if (inner.tag !== SEQUENCE || inner.end !== pkcs1.length) {
    throw new RangeError("PKCS#1 key is not one SEQUENCE");
  }
  const parts = [encode(INTEGER, Uint8Array.of(0)), RSA_ALGORITHM, encode(OCTET_STRING, pkcs1)];
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.length;
  }
  return encode(SEQUENCE, body);
}
