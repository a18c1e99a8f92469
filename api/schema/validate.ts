/**
 * Validates a JSON value against a structural schema the way kube-apiserver does for custom
 * resources: types, required fields, enums, patterns, bounds, then the CEL rules of each node.
 * Returns every problem (never only the first) and never throws, whatever the input.
 */
import { RE2JS } from "re2js";
import type { OpenAPISchema } from "./openapi.ts";
import { evaluateRule, toCel } from "./cel.ts";
import { childPath, indexPath, type Problem, showValue } from "./problem.ts";

/**
 * Every problem of `value` against `schema`; `path` is where `value` sits (e.g. `spec`).
 *
 * A node's CEL rules run when its own subtree passed the structural checks. The apiserver is
 * stricter — it skips every CEL rule of an object that has any structural problem ("some
 * validation rules were not checked because the object was invalid") — so offline validation
 * reports a superset: whatever the apiserver reports, plus the rule failures it did not check.
 */
export function validateSchema(schema: OpenAPISchema, value: unknown, path = ""): Problem[] {
  const problems: Problem[] = [];
  visit(schema, value, path, problems);
  return problems;
}

function visit(schema: OpenAPISchema, value: unknown, path: string, out: Problem[]): void {
  if (value === null || value === undefined) {
    if (!schema.nullable && schema.type !== undefined) {
      out.push(typeInvalid(path, value, schema.type));
    }
    return;
  }
  if (!checkType(schema, value, path, out)) return;
  // Object metadata is validated by the apiserver itself, never by the CRD schema.
  if (path === "metadata") return;
  const before = structural(out);
  if (typeof value === "string") checkString(schema, value, path, out);
  else if (typeof value === "number") checkNumber(schema, value, path, out);
  else if (Array.isArray(value)) checkArray(schema, value, path, out);
  else if (typeof value === "object") {
    checkObject(schema, value as Record<string, unknown>, path, out);
  }
  if (schema.enum !== undefined && !schema.enum.includes(value as string | number)) {
    out.push({
      path,
      type: "Unsupported",
      detail: `Unsupported value: ${showValue(value)}: supported values: ${
        schema.enum.map((v) => JSON.stringify(v)).join(", ")
      }`,
    });
  }
  // Unknown fields are pruned before the rules run, so they do not hold the rules back.
  if (structural(out) === before) checkRules(schema, value, path, out);
}

function structural(problems: readonly Problem[]): number {
  return problems.filter((p) => p.type !== "Unknown").length;
}

function checkType(schema: OpenAPISchema, value: unknown, path: string, out: Problem[]): boolean {
  if (schema["x-kubernetes-int-or-string"]) {
    if (typeof value === "string" || (typeof value === "number" && Number.isInteger(value))) {
      return true;
    }
    out.push({
      path,
      type: "TypeInvalid",
      detail: `Invalid value: ${showValue(value)}: ${
        path || "body"
      } in body must be of type integer,string: ${showValue(jsonType(value))}`,
    });
    return false;
  }
  const type = schema.type;
  if (type === undefined) return true;
  const actual = jsonType(value);
  const ok = type === actual || (type === "number" && actual === "integer");
  if (!ok) out.push(typeInvalid(path, value, type));
  return ok;
}

function typeInvalid(path: string, value: unknown, type: string): Problem {
  return {
    path,
    type: "TypeInvalid",
    detail: `Invalid value: ${showValue(jsonType(value))}: ${
      path || "body"
    } in body must be of type ${type}: ${showValue(jsonType(value))}`,
  };
}

function jsonType(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/**
 * Characters (code points) of `value`, as the apiserver counts for `maxLength`/`minLength`,
 * without building an array of them (a 1 MiB string made one of a million strings).
 */
export function codePointLength(value: string): number {
  let length = value.length;
  for (let i = 0; i < value.length - 1; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdbff) continue;
    const next = value.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff) {
      length--;
      i++;
    }
  }
  return length;
}

function checkString(schema: OpenAPISchema, value: string, path: string, out: Problem[]): void {
  // Code points never outnumber UTF-16 units: count them only when the units cannot decide.
  const length = (schema.maxLength !== undefined && value.length > schema.maxLength) ||
      (schema.minLength !== undefined && value.length >= schema.minLength)
    ? codePointLength(value)
    : value.length;
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    out.push({
      path,
      type: "TooLong",
      detail: `Too long: may not be more than ${schema.maxLength} bytes`,
    });
  }
  if (schema.minLength !== undefined && length < schema.minLength) {
    out.push(invalid(path, value, `should be at least ${schema.minLength} chars long`));
  }
  if (schema.pattern !== undefined && !patternMatches(schema.pattern, value)) {
    out.push(invalid(path, value, `should match '${schema.pattern}'`));
  }
  if (schema.format !== undefined && !formatMatches(schema.format, value)) {
    out.push({
      path,
      type: "Invalid",
      detail: `Invalid value: ${showValue(value)}: ${
        path || "body"
      } in body must be of type ${schema.format}: ${showValue(value)}`,
    });
  }
}

// The formats the apiserver checks for our schemas (kube-openapi strfmt): Go durations plus the
// unit words it also accepts (`1d`, `2 weeks`), and RFC 3339 date-times.
const GO_DURATION = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$/;
const DURATION_PART = /(\d+)\s*([A-Za-zµ]+)/g;
const DURATION_UNITS = new Set([
  "ns",
  "us",
  "µs",
  "ms",
  "s",
  "m",
  "h",
  "d",
  "w",
  "nanosecond",
  "nanoseconds",
  "microsecond",
  "microseconds",
  "millisecond",
  "milliseconds",
  "second",
  "seconds",
  "sec",
  "secs",
  "minute",
  "minutes",
  "min",
  "mins",
  "hour",
  "hours",
  "hr",
  "hrs",
  "day",
  "days",
  "week",
  "weeks",
  "wk",
  "wks",
]);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function formatMatches(format: string, value: string): boolean {
  if (format === "duration") {
    if (GO_DURATION.test(value)) return true;
    const parts = [...value.matchAll(DURATION_PART)];
    return parts.length > 0 && parts.every((p) => DURATION_UNITS.has(p[2]!));
  }
  if (format === "date-time") return DATE_TIME.test(value);
  return true;
}

const patterns = new Map<string, (value: string) => boolean>();

/**
 * A schema `pattern` searched in `value` as the apiserver does (Go's RE2: linear time). V8's
 * backtracking `RegExp` took minutes on upstream's v1beta1 host pattern against a 64 KiB host (the
 * fuzz campaign, seed 20261207 set 535670); a pattern RE2 cannot compile falls back to `RegExp`.
 */
function patternMatches(pattern: string, value: string): boolean {
  let regex = patterns.get(pattern);
  if (regex === undefined) {
    regex = compilePattern(pattern);
    patterns.set(pattern, regex);
  }
  return regex(value);
}

function compilePattern(pattern: string): (value: string) => boolean {
  try {
    const re2 = RE2JS.compile(pattern);
    // `test()`: a boolean search on the DFA, which stops at the first match (a `find()` runs the
    // NFA to the end of the greedy match: a second per MiB of input).
    return (value) => re2.test(value);
  } catch {
    let regex: RegExp;
    try {
      regex = new RegExp(pattern, "u");
    } catch {
      regex = new RegExp(pattern);
    }
    return (value) => regex.test(value);
  }
}

function checkNumber(schema: OpenAPISchema, value: number, path: string, out: Problem[]): void {
  if (schema.maximum !== undefined && value > schema.maximum) {
    out.push(invalid(path, value, `should be less than or equal to ${schema.maximum}`));
  }
  if (schema.minimum !== undefined && value < schema.minimum) {
    out.push(invalid(path, value, `should be greater than or equal to ${schema.minimum}`));
  }
}

function checkArray(schema: OpenAPISchema, value: unknown[], path: string, out: Problem[]): void {
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    out.push({
      path,
      type: "TooMany",
      detail: `Too many: ${value.length}: must have at most ${schema.maxItems} items`,
    });
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    out.push(invalid(path, value.length, `should have at least ${schema.minItems} items`));
  }
  if (schema.items !== undefined) {
    value.forEach((item, i) => visit(schema.items!, item, indexPath(path, i), out));
  }
}

function checkObject(
  schema: OpenAPISchema,
  value: Record<string, unknown>,
  path: string,
  out: Problem[],
): void {
  for (const name of schema.required ?? []) {
    if (!(name in value) || value[name] === undefined) {
      out.push({ path: childPath(path, name), type: "Required", detail: "Required value" });
    }
  }
  const keys = Object.keys(value);
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
    out.push({
      path,
      type: "TooMany",
      detail: `Too many: ${keys.length}: must have at most ${schema.maxProperties} items`,
    });
  }
  if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
    out.push(invalid(path, keys.length, `should have at least ${schema.minProperties} properties`));
  }
  for (const key of keys) {
    const child = schema.properties?.[key] ?? schema.additionalProperties;
    const childValue = value[key];
    if (child !== undefined) {
      // A null in a non-nullable field is dropped by the apiserver's decoder for optional
      // fields; reject it only where the field is required.
      if (childValue === null && !child.nullable && !(schema.required ?? []).includes(key)) {
        continue;
      }
      visit(child, childValue, childPath(path, key), out);
    } else if (!schema["x-kubernetes-preserve-unknown-fields"]) {
      out.push({
        path: childPath(path, key),
        type: "Unknown",
        detail: `unknown field "${childPath(path, key)}"`,
      });
    }
  }
}

function checkRules(schema: OpenAPISchema, value: unknown, path: string, out: Problem[]): void {
  const rules = schema["x-kubernetes-validations"];
  if (rules === undefined) return;
  const self = toCel(value, schema);
  for (const rule of rules) {
    const outcome = evaluateRule(rule, self);
    if (outcome.ok) continue;
    const where = rule.fieldPath ? path + rule.fieldPath : path;
    out.push({
      path: where,
      type: "Invalid",
      detail: `Invalid value: ${
        showValue(jsonType(value) === "integer" ? "integer" : jsonType(value))
      }: ${outcome.detail}`,
    });
  }
}

function invalid(path: string, value: unknown, what: string): Problem {
  return {
    path,
    type: "Invalid",
    detail: `Invalid value: ${showValue(value)}: ${path || "body"} in body ${what}`,
  };
}

/** Removes fields the schema does not know (as the apiserver's pruning does); returns a copy. */
export function prune(schema: OpenAPISchema, value: unknown, path = ""): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    return value.map((item, i) => prune(schema.items ?? {}, item, indexPath(path, i)));
  }
  // Object metadata belongs to the apiserver, not to the CRD schema: kept as it is.
  if (path === "metadata") return structuredClone(value);
  if (schema["x-kubernetes-preserve-unknown-fields"] && schema.properties === undefined) {
    return structuredClone(value);
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties?.[key] ?? schema.additionalProperties;
    if (childSchema !== undefined) out[key] = prune(childSchema, child, childPath(path, key));
    else if (schema["x-kubernetes-preserve-unknown-fields"]) out[key] = structuredClone(child);
  }
  return out;
}
