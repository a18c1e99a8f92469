/**
 * Evaluates the CRD's `x-kubernetes-validations` rules offline, with the very rule texts the
 * apiserver evaluates (decision 11 of the spec README), using @bufbuild/cel.
 *
 * JSON values are turned into CEL values by their schema: integers become CEL `int` (bigint),
 * objects become maps, so `has(self.x)`, `self.size()` and `matches()` behave as in Kubernetes.
 */
import { celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import type { CelInput } from "@bufbuild/cel";
import { RE2JS } from "@bufbuild/re2";
import { LruCache } from "../lru_cache.ts";
import type { CelRule, OpenAPISchema } from "./openapi.ts";

// @bufbuild/cel's own `matches()` compiles its pattern on every call (RE2JS.compile in
// std/logic.js): parse, simplify, compile and a cold DFA, ~60 % of an admission review's CPU
// (bench/admission_cpu.ts). The same engine behind a cache answers alike and keeps the DFA warm.
// The CRDs' patterns are constants; the bound is for a rule whose pattern comes from the object.
const RE2_PATTERNS = new LruCache<string, RE2JS>(64);

/** The `re2` of the CEL environment: @bufbuild/re2, compiled once per pattern. */
export function compileCelPattern(pattern: string): RE2JS {
  return RE2_PATTERNS.getOrCompute(pattern, (p) => RE2JS.compile(p));
}

const ENV = celEnv({
  variables: { self: { kind: "dyn" } as never },
  re2: { compile: compileCelPattern },
});

type Compiled = (self: CelInput) => unknown;
const compiled = new Map<string, Compiled | Error>();

function compile(rule: string): Compiled | Error {
  const cached = compiled.get(rule);
  if (cached !== undefined) return cached;
  let result: Compiled | Error;
  try {
    const run = plan(ENV, parse(rule));
    result = (self) => run({ self } as never);
  } catch (error) {
    result = new SyntaxError(`Cannot compile CEL rule ${JSON.stringify(rule)}`, { cause: error });
  }
  compiled.set(rule, result);
  return result;
}

/** Converts a JSON value to the CEL value the apiserver would bind for this schema. */
export function toCel(value: unknown, schema: OpenAPISchema | undefined): CelInput {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((item) => toCel(item, schema?.items));
  if (typeof value === "object") {
    const map = new Map<string, CelInput>();
    for (const [key, child] of Object.entries(value)) {
      map.set(key, toCel(child, schema?.properties?.[key] ?? schema?.additionalProperties));
    }
    return map;
  }
  if (typeof value === "number" && Number.isInteger(value) && schema?.type !== "number") {
    return BigInt(value);
  }
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return value;
  }
  return null;
}

/** The outcome of one rule: passed, failed (the rule said false), or could not be evaluated. */
export type RuleOutcome = { ok: true } | { ok: false; reason: "failed" | "error"; detail: string };

/** Evaluates one rule against `self`. Never throws. */
export function evaluateRule(rule: CelRule, self: CelInput): RuleOutcome {
  const program = compile(rule.rule);
  if (program instanceof Error) return { ok: false, reason: "error", detail: program.message };
  let value: unknown;
  try {
    value = program(self);
  } catch (error) {
    return { ok: false, reason: "error", detail: String(error) };
  }
  if (isCelError(value)) return { ok: false, reason: "error", detail: value.message };
  if (value === true) return { ok: true };
  return {
    ok: false,
    reason: "failed",
    detail: rule.message ?? `failed rule: ${rule.rule}`,
  };
}
