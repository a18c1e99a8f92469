/** The error conversion and defaulting return: which APIRule, which field, what is wrong. */
import type { FieldError } from "./_types.ts";

export interface ConversionError {
  /** The APIRule as messages name it: `APIRule shop/orders` (`APIRule` when it has no name). */
  object: string;
  /** Field path of the offending value (`spec.corsPolicy.maxAge`), or `""` for the whole object. */
  field: string;
  /** The reason alone: `must be a list, got a string`. */
  reason: string;
  /**
   * One line for users and for the API server's failure message:
   * `Cannot convert APIRule "shop/orders" to gateway.kyma-project.io/v2: spec.timeout: must be an integer, got a string`.
   */
  message: string;
}

/** `APIRule shop/orders` for an object's metadata (name and namespace when they are strings). */
export function objectName(metadata: unknown): string {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    return "APIRule";
  }
  const name = Reflect.get(metadata, "name");
  const namespace = Reflect.get(metadata, "namespace");
  if (typeof name !== "string" || name === "") return "APIRule";
  return typeof namespace === "string" && namespace !== ""
    ? `APIRule ${namespace}/${name}`
    : `APIRule ${name}`;
}

/**
 * The error of converting `object` to `options.to`, or of defaulting it when `to` is not given.
 * Messages quote the name: `Cannot convert APIRule "shop/orders" to gateway.kyma-project.io/v2: …`.
 */
export function conversionError(
  object: string,
  error: FieldError,
  options: { to?: string } = {},
): ConversionError {
  const subject = object === "APIRule"
    ? "APIRule"
    : `APIRule ${JSON.stringify(object.slice("APIRule ".length))}`;
  const attempt = options.to === undefined
    ? `default ${subject}`
    : `convert ${subject} to ${options.to}`;
  const where = error.field === "" ? "" : `${error.field}: `;
  return {
    object,
    field: error.field,
    reason: error.reason,
    message: `Cannot ${attempt}: ${where}${error.reason}`,
  };
}
