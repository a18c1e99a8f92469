/**
 * The subset of OpenAPI v3 that Kubernetes structural schemas use (apiextensions.k8s.io/v1
 * `JSONSchemaProps`). Schema values built by `build.ts` are exactly these objects, so they go into
 * the generated CRD YAML unchanged.
 * See https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
 */

/** One `x-kubernetes-validations` entry: a CEL rule evaluated with `self` bound to the node. */
export interface CelRule {
  rule: string;
  message?: string;
  /** Path (relative to the node) that the apiserver reports instead of the node's own. */
  fieldPath?: string;
  reason?:
    | "FieldValueInvalid"
    | "FieldValueForbidden"
    | "FieldValueRequired"
    | "FieldValueDuplicate";
}

export type OpenAPIType = "object" | "array" | "string" | "integer" | "number" | "boolean";

export interface OpenAPISchema {
  type?: OpenAPIType;
  description?: string;
  properties?: Record<string, OpenAPISchema>;
  required?: string[];
  items?: OpenAPISchema;
  additionalProperties?: OpenAPISchema;
  enum?: Array<string | number>;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  nullable?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-validations"?: CelRule[];
}
