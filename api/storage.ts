/**
 * The apiserver stores APIRules in v2alpha1: a create or update in another served version goes
 * through the conversion webhook first, and an object it cannot convert is refused (a `null`
 * inside a free-form v1beta1 access strategy `config`, say, which the schema lets through).
 * Offline entry points refuse the same objects with the same reason.
 */
import { APIRULE_V2ALPHA1 } from "./kinds.ts";
import { convertAPIRule } from "./conversion/mod.ts";

/** Why the cluster could not store `object` in the storage version, or undefined when it can. */
export function storageProblem(object: unknown): { path: string; message: string } | undefined {
  if (!isRecord(object) || object.kind !== "APIRule") return undefined;
  if (object.apiVersion === APIRULE_V2ALPHA1) return undefined;
  const stored = convertAPIRule(object, APIRULE_V2ALPHA1);
  if (stored.ok) return undefined;
  return {
    path: stored.error.field,
    message: `Cannot convert to ${APIRULE_V2ALPHA1}, the storage version: ${stored.error.reason}`,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
