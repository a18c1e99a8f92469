/**
 * The text of the `gateway.kyma-project.io/v1beta1-spec` annotation (docs/spec/conversion.md §13): compact
 * JSON with upstream's key order, `null`/`""` for absent required fields, and Go's HTML-safe
 * string escapes, so annotations match the ones the Go implementation writes.
 *
 * apigw keeps two things as given where upstream normalises, so that v1beta1 → v2 → v1beta1
 * gives back the spec exactly (README decision 7): empty lists (Go's `omitempty` drops them) and
 * the CORS `maxAge` text (Go re-prints it, `90s` → `1m30s`).
 */
import type { V1beta1CorsPolicy, V1beta1Handler, V1beta1Rule, V1beta1Spec } from "./_types.ts";
import type { ServiceV1beta1 } from "../apirule/v1beta1.ts";
import type { Loose } from "./_types.ts";

type Field = readonly [key: string, json: string | undefined];

/** The canonical compact JSON of a v1beta1 spec. */
export function canonicalV1beta1Spec(spec: V1beta1Spec): string {
  return object([
    ["host", nullable(spec.host, quote)],
    ["service", optional(spec.service, service)],
    ["gateway", nullable(spec.gateway, quote)],
    ["corsPolicy", optional(spec.corsPolicy, corsPolicy)],
    ["rules", nullable(spec.rules, (rules) => list(rules, rule))],
    ["timeout", optional(spec.timeout, String)],
  ]);
}

function service(value: Loose<ServiceV1beta1>): string {
  return object([
    ["name", nullable(value.name, quote)],
    ["namespace", optional(value.namespace, quote)],
    ["port", nullable(value.port, String)],
    ["external", optional(value.external, String)],
  ]);
}

function corsPolicy(value: V1beta1CorsPolicy): string {
  const strings = (items: string[]) => list(items, quote);
  return object([
    ["allowHeaders", optional(value.allowHeaders, strings)],
    ["allowMethods", optional(value.allowMethods, strings)],
    // Each origin is a Go map: encoding/json writes map keys sorted.
    ["allowOrigins", optional(value.allowOrigins, (origins) => list(origins, sortedMap))],
    ["allowCredentials", optional(value.allowCredentials, String)],
    ["exposeHeaders", optional(value.exposeHeaders, strings)],
    ["maxAge", optional(value.maxAge, quote)],
  ]);
}

function rule(value: V1beta1Rule): string {
  return object([
    ["path", quote(value.path ?? "")],
    ["service", optional(value.service, service)],
    ["methods", nullable(value.methods, (methods) => list(methods, quote))],
    ["accessStrategies", nullable(value.accessStrategies, (items) => list(items, handler))],
    ["mutators", optional(value.mutators, (items) => list(items, handler))],
    ["timeout", optional(value.timeout, String)],
  ]);
}

function handler(value: V1beta1Handler): string {
  return object([
    ["handler", quote(value.handler ?? "")],
    ["config", optional(value.config, compact)],
  ]);
}

function sortedMap(value: Record<string, string>): string {
  return object(Object.keys(value).sort().map((key) => [key, quote(value[key] ?? "")]));
}

/** Any JSON value, compact, keys in the order received (a RawExtension keeps its bytes). */
function compact(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return quote(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return list(value, compact);
  if (typeof value === "object") {
    return object(Object.entries(value).map(([key, item]) => [key, compact(item)]));
  }
  return "null";
}

function object(fields: readonly Field[]): string {
  const members = fields.filter((field): field is readonly [string, string] =>
    field[1] !== undefined
  );
  return `{${members.map(([key, json]) => `${quote(key)}:${json}`).join(",")}}`;
}

function list<T>(items: readonly T[], item: (value: T) => string): string {
  return `[${items.map(item).join(",")}]`;
}

function nullable<T>(value: T | undefined, write: (value: T) => string): string {
  return value === undefined ? "null" : write(value);
}

function optional<T>(value: T | undefined, write: (value: T) => string): string | undefined {
  return value === undefined ? undefined : write(value);
}

/** A JSON string with Go's HTML-safe escapes (`<` → `\u003c`, also `>`, `&`, U+2028, U+2029). */
function quote(text: string): string {
  return JSON.stringify(text).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
