/**
 * Rule checks of APIRule v2 (docs/spec/apirule-v2.md §7, §13.1–§13.2): per rule, in upstream's order, R1,
 * J1–J9d, R2–R5, E1–E5, P1/P2; then P3 and J10 across the rules.
 */
import type { Rule, Service } from "../apirule/v2.ts";
import type { ValidationFacts } from "./facts.ts";
import { type Checked, failed, merge, passed, skipped } from "./failure.ts";
import { extAuthFailures } from "./ext_auth.ts";
import { jwtConfigFailures, jwtConsistencyFailures } from "./jwt.ts";
import { pathConflictFailures, pathTemplateFailures } from "./paths.ts";
import {
  findService,
  podsIn,
  podsUnknownNote,
  podsWithoutSidecar,
  serviceNamespace,
} from "./_lookup.ts";

export interface RulesInput {
  /** The APIRule's namespace, the last fallback for a Service's (§7). */
  namespace: string;
  /** `spec.rules`; an undefined entry is a rule that failed the schema: its checks are skipped. */
  rules: readonly (Rule | undefined)[];
  /** `spec.service`; "invalid" when it is written but failed the schema. */
  specService: Service | "invalid" | undefined;
}

/** R0–R5, J1–J10, E1–E5 and P1–P3 for the rules of one APIRule. */
export function ruleFailures(input: RulesInput, facts: ValidationFacts): Checked {
  if (input.rules.length === 0) {
    return failed({ attributePath: ".spec.rules", message: "No rules defined" }); // R0
  }
  const perRule = input.rules.map((rule, i) =>
    rule === undefined ? passed() : oneRule(input, rule, i, facts)
  );
  const usable = input.rules.flatMap((rule, index) => rule === undefined ? [] : [{ index, rule }]);
  const crossRule = {
    failures: [
      ...pathConflictFailures(usable.map(({ index, rule }) => ({ index, ...rule }))),
      ...jwtConsistencyFailures(
        usable.flatMap(({ index, rule }) =>
          rule.jwt === undefined ? [] : [{ index, authentications: rule.jwt.authentications ?? [] }]
        ),
      ),
    ],
    notes: [],
  };
  return merge(...perRule, crossRule);
}

function oneRule(input: RulesInput, rule: Rule, i: number, facts: ValidationFacts): Checked {
  const path = `.spec.rules[${i}]`;
  const out = passed();
  if (rule.service === undefined && input.specService === undefined) {
    out.failures.push({
      attributePath: `${path}.service`,
      message: "The rule must define a service, because no service is defined on spec level",
    }); // R1
  }
  if (rule.jwt !== undefined) out.failures.push(...jwtConfigFailures(`${path}.jwt`, rule.jwt));
  else if (rule.extAuth?.restrictions !== undefined) {
    out.failures.push(...jwtConfigFailures(`${path}.extAuth`, rule.extAuth.restrictions));
  }
  return merge(
    out,
    serviceFailures(path, rule, input, facts),
    rule.extAuth === undefined ? passed() : extAuthFailures(path, rule.extAuth.authorizers, facts),
    failed(...pathTemplateFailures(`${path}.path`, rule.path)),
  );
}

/** R2–R5: the rule's Service must exist, select Pods, and those Pods must have sidecars. */
function serviceFailures(
  path: string,
  rule: Rule,
  input: RulesInput,
  facts: ValidationFacts,
): Checked {
  const service = rule.service ?? input.specService;
  if (service === "invalid") return passed();
  if (service === undefined || service.name === "") {
    return failed({
      attributePath: path,
      message:
        "Failed to execute sidecar injection validation, err: service name is required but missing",
    }); // R2
  }
  const namespace = serviceNamespace(rule.service, input.specService, input.namespace);
  if (namespace === undefined) return passed();
  const found = findService(facts, { namespace, name: service.name });
  if (found.state === "unknown") return skipped(found.note);
  if (found.state === "missing") {
    return failed({
      attributePath: path,
      message:
        `Failed to execute sidecar injection validation, err: services "${service.name}" not found`,
    }); // R3
  }
  const selector = found.value.selector;
  if (Object.keys(selector).length === 0) {
    return failed({
      attributePath: `${path}.injection`,
      message: "Target service label selectors are not defined",
    }); // R4
  }
  const pods = podsIn(facts, namespace);
  if (pods === undefined) return skipped(podsUnknownNote("Sidecar checks", namespace));
  return failed(
    ...podsWithoutSidecar(pods, selector).map((pod) => ({
      attributePath: path,
      message: `Pod ${pod.namespace}/${pod.name} does not have an injected istio sidecar`,
    })), // R5
  );
}
