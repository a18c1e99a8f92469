/**
 * The AdmissionReview exchange (admission.k8s.io/v1): a review in, a response with the same uid
 * out — allowed, or denied with a status message, optionally with a JSON Patch.
 * See https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request
 */

export interface AdmissionRequest {
  uid: string;
  operation: string;
  object: unknown;
  oldObject: unknown;
  /** `group/version` of the object as sent (`gateway.kyma-project.io/v2`). */
  apiVersion: string;
}

export type AdmissionVerdict =
  | { allowed: true; patch?: unknown[]; warnings?: string[] }
  | { allowed: false; message: string; code?: number };

export type AdmissionHandler = (request: AdmissionRequest) => AdmissionVerdict;

export type AdmissionOutcome =
  | { status: 200; body: Record<string, unknown>; allowed: boolean }
  | { status: 400; reason: string };

/** Answers one AdmissionReview body with `handler`; a body that is not a review is a 400. */
export function answerAdmissionReview(body: unknown, handler: AdmissionHandler): AdmissionOutcome {
  if (!isRecord(body) || body.kind !== "AdmissionReview") {
    return { status: 400, reason: "Body is not an AdmissionReview" };
  }
  if (body.apiVersion !== "admission.k8s.io/v1") {
    return {
      status: 400,
      reason: `Unsupported AdmissionReview apiVersion ${JSON.stringify(body.apiVersion)}`,
    };
  }
  const request = body.request;
  if (!isRecord(request) || typeof request.uid !== "string") {
    return { status: 400, reason: "AdmissionReview has no request.uid" };
  }
  const kind = isRecord(request.kind) ? request.kind : {};
  const group = typeof kind.group === "string" ? kind.group : "";
  const version = typeof kind.version === "string" ? kind.version : "";
  const verdict = handler({
    uid: request.uid,
    operation: typeof request.operation === "string" ? request.operation : "",
    object: request.object,
    oldObject: request.oldObject,
    apiVersion: group === "" ? version : `${group}/${version}`,
  });
  const response: Record<string, unknown> = { uid: request.uid, allowed: verdict.allowed };
  if (verdict.allowed) {
    if (verdict.patch !== undefined && verdict.patch.length > 0) {
      response.patchType = "JSONPatch";
      response.patch = btoa(JSON.stringify(verdict.patch));
    }
    if (verdict.warnings !== undefined && verdict.warnings.length > 0) {
      response.warnings = verdict.warnings;
    }
  } else {
    response.status = { code: verdict.code ?? 422, reason: "Invalid", message: verdict.message };
  }
  return {
    status: 200,
    body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response },
    allowed: verdict.allowed,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
