/**
 * The controller-side validation of an APIRule v1beta1 (docs/spec/apirule-v1beta1.md §4, §10) in either
 * JWT handler mode, and its status description (§11.1). The mode comes from the facts; when it
 * is unknown it is taken from the dialect the jwt configs are written in, with a note.
 */
import { APIRuleSpecV1beta1, RuleV1beta1, ServiceV1beta1 } from "../apirule/v1beta1.ts";
import { ORIGINAL_VERSION_ANNOTATION } from "../conversion/annotations.ts";
import { validateSchema } from "../schema/validate.ts";
import type { ValidationFacts } from "./facts.ts";
import { type Checked, failed, type Failure, merge, passed, skipped } from "./failure.ts";
import { conforms, isRecord, isString, objectKey } from "./_guards.ts";
import { usableAt, usableUnder } from "./_usable.ts";
import { hostFailures } from "./_v1beta1_host.ts";
import { istioJwtConsistencyFailures } from "./_v1beta1_handlers.ts";
import { apigwMutatorFailures, mutatorFailures } from "./_v1beta1_mutators.ts";
import { type JwtMode, strategyFailures } from "./_v1beta1_strategies.ts";
import { allowOriginsFailures, v1beta1PathFailures } from "./regexes.ts";

/** Every failure of an APIRule v1beta1 object; parts that fail the schema are skipped. */
export function validateAPIRuleV1beta1(apirule: unknown, facts: ValidationFacts): Checked {
  const key = objectKey(apirule);
  const spec = isRecord(apirule) ? apirule.spec : undefined;
  if (!isRecord(spec)) return passed();
  const problems = validateSchema(APIRuleSpecV1beta1, spec, "spec");
  const rules = Array.isArray(spec.rules) && usableAt(problems)("spec.rules")
    ? spec.rules.map((rule) => (conforms(RuleV1beta1, rule) ? rule : undefined))
    : undefined;
  const mode = jwtMode(rules ?? [], facts);
  if ("failure" in mode) return failed(mode.failure);
  const specService = spec.service === undefined
    ? undefined
    : conforms(ServiceV1beta1, spec.service)
    ? spec.service
    : "invalid";
  return merge(
    skippedUnless(mode.note),
    isString(spec.host) && usableUnder(problems)("spec.host")
      ? hostFailures(key, spec.host, facts)
      : passed(),
    rules === undefined
      ? passed()
      : ruleFailures(rules, { namespace: key.namespace, specService, mode: mode.mode }, facts),
    failed(...regexFailures(apirule, rules ?? [])),
    isRecord(spec.corsPolicy) && usableUnder(problems)("spec.corsPolicy")
      ? failed(...allowOriginsFailures(".spec.corsPolicy", spec.corsPolicy.allowOrigins))
      : passed(),
  );
}

/**
 * Rule paths RE2 refuses (issue 14). In the v1beta1 view of an APIRule authored in v2 the paths
 * are v2 templates (`/orders/{**}`), not regexes: conversion keeps them templates.
 */
function regexFailures(apirule: unknown, rules: readonly (RuleV1beta1 | undefined)[]): Failure[] {
  const metadata = isRecord(apirule) && isRecord(apirule.metadata) ? apirule.metadata : {};
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const original = annotations[ORIGINAL_VERSION_ANNOTATION];
  if (original === "v2" || original === "v2alpha1") return [];
  return rules.flatMap((rule, index) =>
    rule === undefined ? [] : v1beta1PathFailures(`.spec.rules[${index}].path`, rule.path)
  );
}

function skippedUnless(note: string | undefined): Checked {
  return note === undefined ? passed() : skipped(note);
}

function jwtMode(
  rules: readonly (RuleV1beta1 | undefined)[],
  facts: ValidationFacts,
): { mode: JwtMode; note?: string } | { failure: Failure } {
  const handler = facts.jwtHandler;
  if (handler === "ory" || handler === "istio" || handler === "apigw") return { mode: handler };
  if (handler !== undefined) {
    return { failure: { attributePath: "", message: `Unsupported JWT Handler: ${handler}` } };
  }
  const configs = rules.flatMap((rule) =>
    (rule?.accessStrategies ?? []).filter((s) => s.handler === "jwt").map((s) => s.config)
  );
  if (configs.length === 0) return { mode: "ory" };
  const istio = configs.some((c) =>
    isRecord(c) && ("authentications" in c || "authorizations" in c)
  );
  const mode = istio ? "istio" : "ory";
  return {
    mode,
    note:
      `JWT handler unknown: no ConfigMap "kyma-system/api-gateway-config" in the input; jwt rules checked in ${mode} mode, the dialect their configs use`,
  };
}

/** §10.2–§10.7 for the rules; an undefined entry is a rule that failed the schema. */
export function ruleFailures(
  rules: readonly (RuleV1beta1 | undefined)[],
  context: {
    namespace: string;
    specService: ServiceV1beta1 | "invalid" | undefined;
    mode: JwtMode;
  },
  facts: ValidationFacts,
): Checked {
  if (rules.length === 0) {
    return failed({ attributePath: ".spec.rules", message: "No rules defined" });
  }
  const usable = rules.flatMap((rule, index) => (rule === undefined ? [] : [{ index, rule }]));
  const out = passed();
  if (hasPathAndMethodDuplicates(usable.map((u) => u.rule))) {
    out.failures.push({
      attributePath: ".spec.rules",
      message: "multiple rules defined for the same path and method",
    });
  }
  const each = usable.map(({ index, rule }): Checked => {
    const r = `.spec.rules[${index}]`;
    const missingService = rule.service === undefined && context.specService === undefined;
    const jwtSecured = rule.accessStrategies.some((s) => s.handler === "jwt");
    return merge(
      failed(
        ...(missingService
          ? [{
            attributePath: `${r}.service`,
            message: "No service defined with no main service on spec level",
          }]
          : []),
      ),
      // Access strategies are validated only for a rule with a backend.
      missingService ? passed() : strategyFailures(rule, index, context, facts),
      failed(
        ...(context.mode === "istio" && jwtSecured ? mutatorFailures(r, rule.mutators ?? []) : []),
        ...(context.mode === "apigw" ? apigwMutatorFailures(r, rule.mutators ?? []) : []),
      ),
    );
  });
  const consistency = context.mode === "istio"
    ? istioJwtConsistencyFailures(
      usable.flatMap(({ index, rule }) =>
        rule.accessStrategies.flatMap((s, strategy) =>
          s.config === undefined || s.config === null
            ? []
            : [{ rule: index, strategy, config: s.config }]
        )
      ),
    )
    : [];
  return merge(out, ...each, failed(...consistency));
}

/** Two different rules with the same path and a shared method. */
function hasPathAndMethodDuplicates(rules: readonly RuleV1beta1[]): boolean {
  const seen = new Map<string, number>();
  for (const [i, rule] of rules.entries()) {
    for (const method of rule.methods) {
      const key = JSON.stringify([rule.path, method]);
      const first = seen.get(key);
      if (first !== undefined && first !== i) return true;
      seen.set(key, i);
    }
  }
  return false;
}

/**
 * The status description of §11.1: `Validation error: Attribute "<path>": <message>` for one
 * failure; otherwise `Multiple validation errors: ` and a line per failure for the first three,
 * then `<n> more error(s)...`.
 */
export function describeV1beta1Failures(failures: readonly Failure[]): string {
  const [only] = failures;
  if (only === undefined) return "";
  const line = (f: Failure) => `Attribute "${f.attributePath}": ${f.message}`;
  if (failures.length === 1) return `Validation error: ${line(only)}`;
  const lines = failures.slice(0, 3).map((f) => `\n${line(f)}`);
  if (failures.length > 3) lines.push(`\n${failures.length - 3} more error(s)...`);
  return `Multiple validation errors: ${lines.join("")}`;
}
