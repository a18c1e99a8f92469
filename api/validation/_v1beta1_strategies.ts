/**
 * Access strategy checks of one APIRule v1beta1 rule (docs/spec/apirule-v1beta1.md §3, §10.3–§10.5):
 * exclusive and mixed strategies, each handler's config, and in Istio mode the sidecar check
 * of jwt rules.
 */
import type { RuleV1beta1, ServiceV1beta1 } from "../apirule/v1beta1.ts";
import type { ValidationFacts } from "./facts.ts";
import { type Checked, failed, merge, passed, skipped } from "./failure.ts";
import {
  findService,
  podsIn,
  podsUnknownNote,
  podsWithoutSidecar,
  serviceNamespace,
} from "./_lookup.ts";
import { istioJwtFailures, noConfigFailures, oryJwtFailures } from "./_v1beta1_handlers.ts";

export type JwtMode = "ory" | "istio" | "apigw";

const EXCLUSIVE: Readonly<Record<JwtMode, readonly string[]>> = {
  ory: ["allow", "no_auth", "noop"],
  istio: ["allow", "no_auth", "jwt", "noop"],
  // apigw chains strategies like Oathkeeper does.
  apigw: ["allow", "no_auth", "noop"],
};

/** Strategies `apigw authz` does not serve (jwtHandler apigw). */
const NOT_SERVED_BY_APIGW = ["oauth2_client_credentials"];
const SECURE = ["oauth2_client_credentials", "oauth2_introspection", "jwt", "cookie_session"];
const UNSECURE = ["noop", "no_auth", "allow", "unauthorized", "anonymous"];
const NO_CONFIG = ["allow", "no_auth", "noop", "unauthorized", "anonymous", "cookie_session"];
const ANY_CONFIG = ["oauth2_client_credentials", "oauth2_introspection"];

export interface StrategyContext {
  /** The APIRule's namespace, and its `spec.service` ("invalid" when it failed the schema). */
  namespace: string;
  specService: ServiceV1beta1 | "invalid" | undefined;
  mode: JwtMode;
}

/** §10.3–§10.5 for the access strategies of rule `i`. */
export function strategyFailures(
  rule: RuleV1beta1,
  i: number,
  context: StrategyContext,
  facts: ValidationFacts,
): Checked {
  const path = `.spec.rules[${i}].accessStrategies`;
  const strategies = rule.accessStrategies;
  if (strategies.length === 0) {
    return failed({ attributePath: path, message: "No accessStrategies defined" });
  }
  const out = passed();
  for (const name of strategies.length > 1 ? EXCLUSIVE[context.mode] : []) {
    const k = strategies.findIndex((s) => s.handler === name);
    if (k >= 0) {
      out.failures.push({
        attributePath: `${path}.accessStrategies[${k}].handler`,
        message:
          `${name} access strategy is not allowed in combination with other access strategies`,
      });
    }
  }
  const names = strategies.map((s) => s.handler);
  if (names.some((n) => SECURE.includes(n)) && names.some((n) => UNSECURE.includes(n))) {
    out.failures.push({
      attributePath: path,
      message:
        "Secure access strategies cannot be used in combination with unsecure access strategies",
    });
  }
  const each = strategies.map((strategy, j): Checked => {
    const s = `${path}[${j}]`;
    if (NO_CONFIG.includes(strategy.handler)) {
      return failed(...noConfigFailures(s, strategy.handler, strategy.config));
    }
    if (context.mode === "apigw" && NOT_SERVED_BY_APIGW.includes(strategy.handler)) {
      return failed({
        attributePath: `${s}.handler`,
        message: `Unsupported accessStrategy with JWT handler apigw: ${strategy.handler}`,
      });
    }
    if (ANY_CONFIG.includes(strategy.handler)) return passed();
    if (strategy.handler !== "jwt") {
      return failed({
        attributePath: `${s}.handler`,
        message: `Unsupported accessStrategy: ${strategy.handler}`,
      });
    }
    if (context.mode === "apigw") {
      // Both dialects are served, so APIRules written for either mode keep working.
      const istioDialect = typeof strategy.config === "object" && strategy.config !== null &&
        "authentications" in strategy.config;
      return failed(
        ...(istioDialect
          ? istioJwtFailures(s, strategy.config)
          : oryJwtFailures(s, strategy.config)),
      );
    }
    return context.mode === "ory" ? failed(...oryJwtFailures(s, strategy.config)) : merge(
      sidecarFailures(s, rule, context, facts),
      failed(...istioJwtFailures(s, strategy.config)),
    );
  });
  return merge(out, ...each);
}

/**
 * Istio mode: the Pods of a jwt rule's Service need sidecars. Upstream lists every Pod of the
 * namespace when the Service does not exist (§17 item 7); here the check is skipped then, as the
 * missing Service fails the reconcile anyway.
 */
function sidecarFailures(
  s: string,
  rule: RuleV1beta1,
  context: StrategyContext,
  facts: ValidationFacts,
): Checked {
  const service = rule.service ?? context.specService;
  const namespace = serviceNamespace(rule.service, context.specService, context.namespace);
  if (service === undefined || service === "invalid" || namespace === undefined) return passed();
  const found = findService(facts, { namespace, name: service.name });
  if (found.state === "unknown") return skipped(found.note);
  if (found.state === "missing") return passed();
  const selector = found.value.selector;
  if (Object.keys(selector).length === 0) {
    return failed({
      attributePath: `${s}.injection.injection`,
      message: "Target service label selectors are not defined",
    });
  }
  const pods = podsIn(facts, namespace);
  if (pods === undefined) return skipped(podsUnknownNote("Sidecar checks", namespace));
  return failed(
    ...podsWithoutSidecar(pods, selector).map((pod) => ({
      attributePath: `${s}.injection`,
      message: `Pod ${pod.namespace}/${pod.name} does not have an injected istio sidecar`,
    })),
  );
}
