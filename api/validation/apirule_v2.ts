/**
 * The controller-side validation of an APIRule v2/v2alpha1 (docs/spec/apirule-v2.md §4 steps 9–12, §13),
 * and its status description (§14). Gateway discovery runs first and a failure ends validation;
 * then the JWT handler config; then every check of §13 in upstream's order, all failures kept.
 */
import { APIRuleSpec, Rule, Service } from "../apirule/v2.ts";
import { validateSchema } from "../schema/validate.ts";
import type { ValidationFacts } from "./facts.ts";
import { type Checked, failed, type Failure, merge, passed } from "./failure.ts";
import { discoverGateway } from "./gateway.ts";
import { hostFailures } from "./hosts.ts";
import { ruleFailures } from "./rules.ts";
import { allowOriginsFailures } from "./regexes.ts";
import { conforms, isRecord, isString, objectKey } from "./_guards.ts";
import { usableAt, usableUnder } from "./_usable.ts";

/** The values `jwtHandler` may take (docs/spec/apirule-v2.md §4 step 11). */
export const JWT_HANDLERS: readonly string[] = ["ory", "istio", "apigw"];

/**
 * Every failure of an APIRule v2/v2alpha1 object. Parts of `spec` that fail the schema are
 * skipped (the schema reports them); the object may be anything and is never trusted.
 */
export function validateAPIRuleV2(apirule: unknown, facts: ValidationFacts): Checked {
  const { name, namespace } = objectKey(apirule);
  const raw = isRecord(apirule) ? apirule.spec : undefined;
  if (raw !== undefined && !isRecord(raw)) return passed();
  const spec = raw ?? {};
  const discovery = discoverGateway(spec, facts);
  if (!discovery.ok) return failed(discovery.failure);
  if (facts.jwtHandler !== undefined && !JWT_HANDLERS.includes(facts.jwtHandler)) {
    return failed({ attributePath: "", message: `Unsupported JWT Handler: ${facts.jwtHandler}` });
  }
  const problems = validateSchema(APIRuleSpec, spec, "spec");
  const usable = usableUnder(problems);
  const rules = spec.rules;
  const specService = spec.service === undefined
    ? undefined
    : conforms(Service, spec.service)
    ? spec.service
    : "invalid";
  const hosts = spec.hosts;
  return merge(
    { failures: [], notes: discovery.gateway?.state === "unknown" ? [discovery.gateway.note] : [] },
    Array.isArray(rules) && usableAt(problems)("spec.rules")
      ? ruleFailures({
        namespace,
        rules: rules.map((rule) => (conforms(Rule, rule) ? rule : undefined)),
        specService,
      }, facts)
      : passed(),
    Array.isArray(hosts) && hosts.every(isString) && usable("spec.hosts")
      ? hostFailures({
        name,
        namespace,
        hosts,
        gatewayRef: discovery.gatewayRef,
        gateway: discovery.gateway,
      }, facts)
      : passed(),
    isRecord(spec.corsPolicy) && usable("spec.corsPolicy")
      ? failed(...allowOriginsFailures(".spec.corsPolicy", spec.corsPolicy.allowOrigins))
      : passed(),
  );
}

/**
 * The status description of §14: `Validation errors: ` and the first three failures as
 * `Attribute '<path>': <message>` lines, then `<n> more error(s)...` for the rest.
 */
export function describeV2Failures(failures: readonly Failure[]): string {
  if (failures.length === 0) return "";
  const lines = failures.slice(0, 3).map((f) => `Attribute '${f.attributePath}': ${f.message}`);
  if (failures.length > 3) lines.push(`${failures.length - 3} more error(s)...`);
  return `Validation errors: ${lines.join("\n")}`;
}
