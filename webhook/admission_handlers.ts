/**
 * apigw's admission decisions. Validation runs every check that needs no other cluster object —
 * the schema, the CEL rules and the semantic checks on the object alone — so a bad APIRule or
 * RateLimit is refused at once with every problem and its field path; checks that need Services,
 * Gateways or Pods stay in the controller's status. Defaulting records the v2alpha1
 * `original-version` (docs/spec/conversion.md §9).
 */
import { defaultV2alpha1 } from "../api/conversion/mod.ts";
import { validateObject } from "../api/validation/mod.ts";
import type { AdmissionHandler } from "./admission_review.ts";

/** Validates creates and spec changes; deletions in progress and metadata-only updates pass. */
export const validateAdmission: AdmissionHandler = (request) => {
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") return { allowed: true };
  if (request.operation === "UPDATE" && !specChanged(request.object, request.oldObject)) {
    // Finalizer removal and label edits must never be blocked by rules the object predates.
    return { allowed: true };
  }
  const result = validateObject(request.object, {});
  const errors = result.problems.filter((p) => p.severity === "error");
  if (errors.length === 0) return { allowed: true };
  const who = result.namespace
    ? `${result.kind} ${result.namespace}/${result.name}`
    : `${result.kind} ${result.name}`;
  return {
    allowed: false,
    message: `${who} is invalid: ${
      errors.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join("; ")
    }`,
  };
};

/** The v2alpha1 defaulting of `original-version`, as a JSON Patch. */
export const defaultAdmission: AdmissionHandler = (request) => {
  if (request.apiVersion !== "gateway.kyma-project.io/v2alpha1") return { allowed: true };
  const defaulted = defaultV2alpha1(request.object, request.operation);
  if (!defaulted.ok) return { allowed: false, message: defaulted.error.message, code: 400 };
  return { allowed: true, patch: defaulted.value.patch };
};

function specChanged(object: unknown, oldObject: unknown): boolean {
  if (oldObject === null || oldObject === undefined) return true;
  return JSON.stringify(specOf(object)) !== JSON.stringify(specOf(oldObject));
}

function specOf(object: unknown): unknown {
  return typeof object === "object" && object !== null && !Array.isArray(object)
    ? Object.entries(object).find(([key]) => key === "spec")?.[1]
    : undefined;
}
