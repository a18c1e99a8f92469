/**
 * The certificate Secret as the controller reads and writes it: `tls.crt` and `tls.key`
 * (docs/spec/certificate.md §1), plus apigw's rotation bookkeeping — `previous-ca.crt`, the CA trusted
 * during the overlap after a rotation, and the `rotated-at` annotation.
 */
import type { KubeObject } from "../../api/meta.ts";
import {
  type CertificateSecret,
  PREVIOUS_CA_KEY,
  ROTATED_AT_ANNOTATION,
} from "../../core/certificate/plan.ts";
import { isRecord } from "../../kube/object.ts";

export const TLS_CRT = "tls.crt";
export const TLS_KEY = "tls.key";
/** Upstream's module label on the Secret (docs/spec/certificate.md §3). */
export const MODULE_LABEL = { "kyma-project.io/module": "api-gateway" };

/** The decoded keys of a Secret object (absent keys stay absent). */
export function certificateSecretOf(secret: KubeObject): CertificateSecret {
  const data = isRecord(secret.data) ? secret.data : {};
  const text = (key: string): string | undefined => {
    const value = data[key];
    return typeof value === "string" ? fromBase64(value) : undefined;
  };
  const tlsCrt = text(TLS_CRT);
  const tlsKey = text(TLS_KEY);
  const previousCa = text(PREVIOUS_CA_KEY);
  const rotatedAt = secret.metadata.annotations?.[ROTATED_AT_ANNOTATION];
  return {
    ...(tlsCrt === undefined ? {} : { tlsCrt }),
    ...(tlsKey === undefined ? {} : { tlsKey }),
    ...(previousCa === undefined ? {} : { previousCa }),
    ...(rotatedAt === undefined ? {} : { rotatedAt }),
  };
}

/** Base64 of a UTF-8 text, as Secret data and `caBundle` carry it. */
export function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The text of a base64 value, or undefined when it is not base64. */
export function fromBase64(value: string): string | undefined {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/**
 * A new certificate Secret, owned by the operator's Deployment when it has one; with
 * `previousCa`, the CA served before it was deleted stays trusted for the overlap.
 */
export function newSecret(
  ref: { namespace: string; name: string },
  material: { certPem: string; keyPem: string },
  options: { owner: { name: string; uid: string } | undefined; previousCa: string; now: Date },
): KubeObject {
  const { owner, previousCa } = options;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { ...MODULE_LABEL },
      ...(previousCa === ""
        ? {}
        : { annotations: { [ROTATED_AT_ANNOTATION]: options.now.toISOString() } }),
      ...(owner === undefined ? {} : {
        // Garbage-collected with the operator; not a controller reference (docs/spec/certificate.md §3).
        ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", ...owner }],
      }),
    },
    type: "Opaque",
    data: {
      [TLS_CRT]: base64(material.certPem),
      [TLS_KEY]: base64(material.keyPem),
      ...(previousCa === "" ? {} : { [PREVIOUS_CA_KEY]: base64(previousCa) }),
    },
  };
}

/**
 * The merge patch that switches a Secret to a new pair, remembering `previousCa` (when there is
 * one) for the overlap. The resourceVersion makes a concurrent change fail with a Conflict.
 */
export function rotationPatch(
  resourceVersion: string | undefined,
  material: { certPem: string; keyPem: string },
  previousCa: string,
  now: Date,
): Record<string, unknown> {
  return {
    metadata: {
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      annotations: { [ROTATED_AT_ANNOTATION]: previousCa === "" ? null : now.toISOString() },
    },
    data: {
      [TLS_CRT]: base64(material.certPem),
      [TLS_KEY]: base64(material.keyPem),
      [PREVIOUS_CA_KEY]: previousCa === "" ? null : base64(previousCa),
    },
  };
}

/** The merge patch that ends the overlap: the previous CA is no longer trusted. */
export function forgetPreviousPatch(resourceVersion: string | undefined): Record<string, unknown> {
  return {
    metadata: {
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      annotations: { [ROTATED_AT_ANNOTATION]: null },
    },
    data: { [PREVIOUS_CA_KEY]: null },
  };
}
