/**
 * A small schema DSL: each builder returns the OpenAPI v3 structural schema of a field (what goes
 * into the CRD) carrying, as a phantom type, the TypeScript type of valid values. `Static<S>`
 * reads that type back, so the CRD, the runtime validator and the TypeScript types all come from
 * one definition.
 *
 * @example
 * const Service = object({ name: string(), port: integer({ minimum: 1 }) }, { required: ["name"] });
 * type Service = Static<typeof Service>; // { name: string; port?: number }
 */
import type { CelRule, OpenAPISchema } from "./openapi.ts";

declare const TYPE: unique symbol;

/** An OpenAPI schema whose valid values have the TypeScript type `T`. */
export type Schema<T> = OpenAPISchema & { readonly [TYPE]?: T };

/** The TypeScript type of the values a schema accepts. */
export type Static<S> = S extends Schema<infer T> ? T : never;

type Simplify<T> = { [K in keyof T]: T[K] } & unknown;

// deno-lint-ignore no-explicit-any
type Props = Record<string, Schema<any>>;

type ObjectOf<P extends Props, R extends keyof P> = Simplify<
  & { -readonly [K in R]: Static<P[K]> }
  & { -readonly [K in Exclude<keyof P, R>]?: Static<P[K]> }
>;

interface Common {
  description?: string;
  rules?: readonly CelRule[];
  nullable?: boolean;
}

function common(options: Common): OpenAPISchema {
  return {
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.nullable ? { nullable: true } : {}),
    ...(options.rules && options.rules.length > 0
      ? { "x-kubernetes-validations": [...options.rules] }
      : {}),
  };
}

export interface StringOptions extends Common {
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  default?: string;
}

/** A string field. */
export function string(options: StringOptions = {}): Schema<string> {
  const { description: _d, rules: _r, nullable: _n, ...rest } = options;
  return { type: "string", ...common(options), ...rest };
}

/** A string field restricted to `values`. */
export function enumOf<const T extends string>(
  values: readonly T[],
  options: Common & { default?: T } = {},
): Schema<T> {
  return {
    type: "string",
    ...common(options),
    enum: [...values],
    ...(options.default !== undefined ? { default: options.default } : {}),
  };
}

export interface NumberOptions extends Common {
  minimum?: number;
  maximum?: number;
  format?: "int32" | "int64";
  default?: number;
}

/** An integer field. */
export function integer(options: NumberOptions = {}): Schema<number> {
  const { description: _d, rules: _r, nullable: _n, ...rest } = options;
  return { type: "integer", ...common(options), ...rest };
}

/** A boolean field. */
export function boolean(options: Common & { default?: boolean } = {}): Schema<boolean> {
  const { description: _d, rules: _r, nullable: _n, ...rest } = options;
  return { type: "boolean", ...common(options), ...rest };
}

export interface ArrayOptions extends Common {
  minItems?: number;
  maxItems?: number;
  listType?: "atomic" | "set" | "map";
}

/** A list field. */
export function array<T>(items: Schema<T>, options: ArrayOptions = {}): Schema<T[]> {
  return {
    type: "array",
    ...common(options),
    items,
    ...(options.minItems !== undefined ? { minItems: options.minItems } : {}),
    ...(options.maxItems !== undefined ? { maxItems: options.maxItems } : {}),
    ...(options.listType !== undefined ? { "x-kubernetes-list-type": options.listType } : {}),
  };
}

export interface ObjectOptions<R> extends Common {
  required?: readonly R[];
  minProperties?: number;
  maxProperties?: number;
}

/** An object with known properties; the ones in `required` must be present. */
export function object<const P extends Props, const R extends keyof P & string = never>(
  properties: P,
  options: ObjectOptions<R> = {},
): Schema<ObjectOf<P, R>> {
  return {
    type: "object",
    ...common(options),
    properties: { ...properties },
    ...(options.required && options.required.length > 0 ? { required: [...options.required] } : {}),
    ...(options.minProperties !== undefined ? { minProperties: options.minProperties } : {}),
    ...(options.maxProperties !== undefined ? { maxProperties: options.maxProperties } : {}),
  };
}

/** A map from arbitrary keys to values of one schema. */
export function record<T>(
  values: Schema<T>,
  options: Common & { minProperties?: number; maxProperties?: number } = {},
): Schema<Record<string, T>> {
  return {
    type: "object",
    ...common(options),
    additionalProperties: values,
    ...(options.minProperties !== undefined ? { minProperties: options.minProperties } : {}),
    ...(options.maxProperties !== undefined ? { maxProperties: options.maxProperties } : {}),
  };
}

/** A free-form object whose unknown fields the apiserver keeps (handler configs, status blobs). */
export function freeform(options: Common = {}): Schema<Record<string, unknown>> {
  return { type: "object", ...common(options), "x-kubernetes-preserve-unknown-fields": true };
}

/** An integer or a string (Kubernetes `IntOrString`). */
export function intOrString(options: Common = {}): Schema<number | string> {
  return { ...common(options), "x-kubernetes-int-or-string": true };
}
