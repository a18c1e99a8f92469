/**
 * What the webhook certificate controller does next (docs/spec/certificate.md §3–§6), decided from what it
 * read. The shell reads the Secret, verifies it (`webhook/certificates.ts`, at now + the renewal
 * margin) and the `caBundle`s it injected, asks this function, and carries the step out.
 *
 * Rotation never breaks a request: the new CA is added to every `caBundle` *before* the Secret
 * (and so what every replica serves) switches to the new certificate, and the old CA is dropped
 * only after the overlap, so a client that trusts either bundle accepts either certificate.
 */

export const PREVIOUS_CA_KEY = "previous-ca.crt";
export const ROTATED_AT_ANNOTATION = "apigw.kyma-project.io/rotated-at";

export interface CertificateSecret {
  tlsCrt?: string;
  tlsKey?: string;
  /** The CA of the certificate before the last rotation, trusted during the overlap. */
  previousCa?: string;
  /** RFC 3339 time of the last rotation. */
  rotatedAt?: string;
}

export interface CertificateState {
  /** Undefined when the Secret does not exist. */
  secret: CertificateSecret | undefined;
  /** Whether the Secret's pair is still good at now + the renewal margin. */
  valid: boolean;
  /** The current `caBundle` (PEM) of each injection target, by target name. */
  injected: Readonly<Record<string, string | undefined>>;
  now: Date;
  /** How long the previous CA stays trusted after a rotation. */
  overlapMs: number;
}

export type CertificateStep =
  /** Create the Secret with fresh material (it is missing). */
  | { kind: "create" }
  /**
   * Renew: generate a new pair, inject `bundleWith(newCa)` everywhere, then write the new pair
   * to the Secret with the current CA as the previous one.
   */
  | { kind: "rotate"; currentCa: string }
  /** Write `bundle` into the targets listed (their bundle differs). */
  | { kind: "inject"; bundle: string; targets: string[] }
  /** The overlap is over: remove the previous CA from the Secret. */
  | { kind: "forget-previous" }
  | { kind: "none"; bundle: string };

/** The next step for `state`. */
export function nextCertificateStep(state: CertificateState): CertificateStep {
  const secret = state.secret;
  if (secret === undefined || secret.tlsCrt === undefined || secret.tlsKey === undefined) {
    return { kind: "create" };
  }
  if (!state.valid) return { kind: "rotate", currentCa: caCertificates(secret.tlsCrt).join("") };
  const overlapping = secret.previousCa !== undefined && withinOverlap(secret, state);
  if (secret.previousCa !== undefined && !overlapping) return { kind: "forget-previous" };
  const bundle = trustBundle(secret.tlsCrt, overlapping ? secret.previousCa : undefined);
  const stale = Object.entries(state.injected).filter(([, current]) => current !== bundle)
    .map(([target]) => target).sort();
  return stale.length > 0 ? { kind: "inject", bundle, targets: stale } : { kind: "none", bundle };
}

/**
 * The `caBundle` for a Secret: its whole `tls.crt` (as upstream injects it), then the previous CA
 * while it is still trusted.
 */
export function trustBundle(tlsCrt: string, previousCa: string | undefined): string {
  const blocks = pemBlocks(tlsCrt);
  const previous = previousCa === undefined
    ? []
    : pemBlocks(previousCa).filter((b) => !blocks.includes(b));
  return [...blocks, ...previous].join("");
}

/** The certificates of a `tls.crt` after the first (serving) one: its CA(s). */
export function caCertificates(tlsCrt: string): string[] {
  return pemBlocks(tlsCrt).slice(1);
}

/** The PEM certificate blocks of a text, each ending with a newline. */
export function pemBlocks(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)]
    .map((m) => m[0] + "\n");
}

function withinOverlap(secret: CertificateSecret, state: CertificateState): boolean {
  const rotated = secret.rotatedAt === undefined ? NaN : Date.parse(secret.rotatedAt);
  return !Number.isNaN(rotated) && state.now.getTime() < rotated + state.overlapMs;
}
