/**
 * Validation of apigw's own CRs, offline and in the operator alike. A CR flows through here as:
 * 1. its apiVersion and kind pick the schema (`api/kinds.ts`);
 * 2. the schema runs like `kubectl --validate=strict`: types, bounds, patterns, CEL, unknown fields;
 * 3. the kind's semantic checks run on the parts that passed, reading cluster facts (`facts.ts`);
 * 4. every problem comes back with its field path; skipped checks come back as notes.
 */
import { APIGATEWAY_V1ALPHA1, APIRULE_V1BETA1, OWN_KINDS, ownKind } from "../kinds.ts";
import { storageProblem } from "../storage.ts";
import { objectMetaProblem, pruneNulls } from "../normalize.ts";
import { formatProblem } from "../schema/problem.ts";
import { validateSchema } from "../schema/validate.ts";
import type { ValidationFacts } from "./facts.ts";
import type { Checked } from "./failure.ts";
import { validateAPIGateway } from "./apigateway.ts";
import { validateAPIRuleV1beta1 } from "./apirule_v1beta1.ts";
import { validateAPIRuleV2 } from "./apirule_v2.ts";
import { describeRateLimitFailure, validateRateLimit } from "./ratelimit.ts";
import { isRecord, isString, objectKey } from "./_guards.ts";

export type { ValidationFacts } from "./facts.ts";
export { factsFromObjects } from "./facts_from_objects.ts";
export { describeV2Failures } from "./apirule_v2.ts";
export { describeV1beta1Failures } from "./apirule_v1beta1.ts";
export { describeRateLimitFailure } from "./ratelimit.ts";

/** One problem of an object: a field path (apiserver notation, no leading dot) and why. */
export interface ObjectProblem {
  /** `spec.rules[0].path`; "" when the problem is about the whole object. */
  path: string;
  message: string;
  /** `note`: a check that was skipped because a cluster fact was unknown. */
  severity: "error" | "note";
}

/** What `validateObject()` found for one object. */
export interface ObjectValidation {
  kind: string;
  name: string;
  /** "" for cluster-scoped kinds. */
  namespace: string;
  problems: ObjectProblem[];
}

/** Every problem of one apigw CR: schema first, then the semantic checks. Never throws. */
export function validateObject(raw: unknown, facts: ValidationFacts): ObjectValidation {
  // The apiserver drops or defaults non-nullable nulls before it validates; so does every caller.
  const object = pruneNulls(raw);
  const kind = isRecord(object) && isString(object.kind) ? object.kind : "";
  const apiVersion = isRecord(object) ? object.apiVersion : undefined;
  const entry = ownKind(apiVersion, kind);
  const key = objectKey(object);
  const result: ObjectValidation = {
    kind,
    name: key.name,
    namespace: entry?.namespaced === false ? "" : key.namespace,
    problems: [],
  };
  if (entry === undefined) {
    result.problems.push({ path: "", message: unknownKind(apiVersion, kind), severity: "error" });
    return result;
  }
  // Metadata the apiserver cannot decode refuses the object before any schema check.
  const meta = objectMetaProblem(object);
  if (meta !== undefined) {
    result.problems.push({ path: meta.path, message: meta.reason, severity: "error" });
    return result;
  }
  const schemaProblems = validateSchema(entry.schema, object);
  if (key.name === "" && !hasGenerateName(object)) {
    result.problems.push({ path: "metadata.name", message: "Required value", severity: "error" });
  }
  for (const problem of schemaProblems) {
    result.problems.push({
      path: problem.path,
      message: problem.path === "" ? formatProblem(problem) : problem.detail,
      severity: "error",
    });
  }
  // Without a usable `spec` object the schema has said all there is to say.
  if (schemaProblems.some((p) => p.path === "spec")) return result;
  // The cluster refuses an APIRule its conversion webhook cannot store (api/storage.ts).
  const unstorable = schemaProblems.length === 0 ? storageProblem(object) : undefined;
  if (unstorable !== undefined) {
    result.problems.push({ ...unstorable, severity: "error" });
    return result;
  }
  const checked = semanticChecks(entry.apiVersion, kind, object, facts);
  for (const failure of checked.failures) {
    result.problems.push({
      path: failure.attributePath.replace(/^\./, ""),
      // A RateLimit's status shows its one failure with a prefix; keep that text greppable.
      message: kind === "RateLimit" ? describeRateLimitFailure(failure) : failure.message,
      severity: "error",
    });
  }
  for (const note of checked.notes) {
    result.problems.push({ path: "", message: note, severity: "note" });
  }
  return result;
}

function semanticChecks(
  apiVersion: string,
  kind: string,
  object: unknown,
  facts: ValidationFacts,
): Checked {
  if (kind === "APIRule") {
    return apiVersion === APIRULE_V1BETA1
      ? validateAPIRuleV1beta1(object, facts)
      : validateAPIRuleV2(object, facts);
  }
  if (kind === "RateLimit") return validateRateLimit(object, facts);
  if (apiVersion === APIGATEWAY_V1ALPHA1) return validateAPIGateway(object, facts);
  return { failures: [], notes: [] };
}

function hasGenerateName(object: unknown): boolean {
  return isRecord(object) && isRecord(object.metadata) && isString(object.metadata.generateName) &&
    object.metadata.generateName !== "";
}

function unknownKind(apiVersion: unknown, kind: string): string {
  const served = OWN_KINDS.filter((k) => k.kind === kind).map((k) => k.apiVersion);
  const version = isString(apiVersion) ? apiVersion : "";
  return served.length > 0
    ? `Unsupported apiVersion "${version}" for kind ${kind}: served are ${served.join(", ")}`
    : `Not one of apigw's kinds: apiVersion "${version}", kind "${kind}"`;
}
