/**
 * Key material the operator generates at apply time (spec README decisions 9 and 10). The planner
 * is pure, so it emits such Secrets with metadata and `type` only and lists here what their `data`
 * must hold; `render` prints them like that and the operator fills the data in before applying.
 */

/** What the `data` of a generated Secret holds. */
export type GeneratedMaterial =
  /**
   * A self-signed serving certificate: keys `tls.crt` and `tls.key` (PEM), subject alternative
   * names `dnsNames`, server-auth usage (docs/spec/apigateway.md §7.4).
   */
  | { kind: "SelfSignedTLS"; dnsNames: string[] }
  /**
   * A JSON Web Key Set under key `jwks.json` with one RSA 2048-bit private signing key: `kty: RSA`,
   * `alg: RS256`, `use: sig`, a random UUID v4 `kid`, no `x5c` (docs/spec/apigateway.md §8.5).
   */
  | { kind: "JWKS" };

/**
 * A Secret of the plan whose data the applier provides. It keeps the data of the existing Secret
 * when that data still fits `material` (a parseable key set; a certificate covering `dnsNames`
 * that has not expired) and generates new data otherwise. It must always apply the Secret with its
 * data: a server-side apply without `data` would drop the fields it applied before.
 */
export interface GeneratedSecret {
  namespace: string;
  name: string;
  material: GeneratedMaterial;
}
