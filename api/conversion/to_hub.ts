/**
 * v1beta1 → v2alpha1, "to hub" (docs/spec/conversion.md §4). The complete v1beta1 spec is kept in the
 * `v1beta1-spec` annotation; the hub gets host, gateway, service, timeout and CORS, and the rules
 * only when every rule has a v2 form (§5).
 */
import { array, record, string } from "../schema/build.ts";
import { Rule } from "../apirule/v2.ts";
import { decodeShape } from "./_decode.ts";
import {
  fail,
  type FieldError,
  type HubCorsPolicy,
  type HubJwt,
  type HubObject,
  type HubRule,
  type HubSpec,
  ok,
  type Result,
  type V1beta1CorsPolicy,
  type V1beta1Object,
  type V1beta1Rule,
  type V1beta1Spec,
} from "./_types.ts";
import {
  annotationField,
  ORIGINAL_VERSION_ANNOTATION,
  V1BETA1_SPEC_ANNOTATION,
  V2ALPHA1_RULES_ANNOTATION,
} from "./annotations.ts";
import { canonicalV1beta1Spec } from "./canonical_json.ts";
import { isFullyConvertible, strategyConversion } from "./convertible.ts";
import { parseGoDuration } from "../duration.ts";
import { v2GatewayName } from "./gateway_name.ts";
import { hubStatusOf } from "./status.ts";
import { mergeJwt } from "./jwt.ts";

const StringMap = record(string());
const Rules = array(Rule);

/** Converts a v1beta1 APIRule to the hub version, writing the bookkeeping annotations (§4 step 3). */
export function toHub(source: V1beta1Object): Result<HubObject, FieldError> {
  const annotations = source.metadata.annotations ?? {};
  const original = annotations[ORIGINAL_VERSION_ANNOTATION];
  // A v2 object seen through v1beta1 stays a v2 object; anything else is now authored in v1beta1.
  const authoredInV2 = original === "v2" || original === "v2alpha1";
  const legacyRules = authoredInV2 ? annotations[V2ALPHA1_RULES_ANNOTATION] : undefined;
  const spec = hubSpecOf(source.spec ?? {}, {
    namespace: source.metadata.namespace ?? "",
    ...(legacyRules !== undefined ? { legacyRules } : {}),
  });
  if (!spec.ok) return spec;
  const metadata = authoredInV2 ? source.metadata : {
    ...source.metadata,
    annotations: {
      ...annotations,
      [V1BETA1_SPEC_ANNOTATION]: canonicalV1beta1Spec(source.spec ?? {}),
      [ORIGINAL_VERSION_ANNOTATION]: "v1beta1",
    },
  };
  const status = hubStatusOf(source.status);
  return ok({ metadata, spec: spec.value, ...(status !== undefined ? { status } : {}) });
}

export interface HubSpecOptions {
  /** The APIRule's namespace: one-part legacy gateway names are qualified with it. */
  namespace: string;
  /** The legacy `v2alpha1-rules` annotation; when set it replaces converted rules (§4 step 11). */
  legacyRules?: string;
  /** Where the spec sits, for error paths; defaults to `spec`. */
  path?: string;
}

/** The hub spec of a v1beta1 spec (§4 steps 4–12). */
export function hubSpecOf(spec: V1beta1Spec, options: HubSpecOptions): Result<HubSpec, FieldError> {
  const path = options.path ?? "spec";
  const convertible = isFullyConvertible(spec.rules ?? [], `${path}.rules`);
  if (!convertible.ok) return convertible;
  const topLevel = hubTopLevelOf(spec, options.namespace);
  if (!convertible.value) return ok(topLevel);
  if (options.legacyRules !== undefined) {
    const rules = legacyRulesOf(options.legacyRules);
    if (!rules.ok) return rules;
    return ok({ ...topLevel, ...(rules.value !== undefined ? { rules: rules.value } : {}) });
  }
  if (spec.rules === undefined || spec.rules.length === 0) return ok(topLevel);
  const rules: HubRule[] = [];
  for (const [index, rule] of spec.rules.entries()) {
    const converted = hubRuleOf(rule, `${path}.rules[${index}]`);
    if (!converted.ok) return converted;
    rules.push(converted.value);
  }
  return ok({ ...topLevel, rules });
}

/**
 * The fields every v1beta1 spec gives the hub, convertible rules or not (§4 steps 5–9): hosts,
 * service, gateway (legacy names translated, §6), CORS policy, timeout.
 */
export function hubTopLevelOf(spec: V1beta1Spec, namespace: string): HubSpec {
  const gateway = spec.gateway === undefined ? undefined : v2GatewayName(spec.gateway, namespace);
  return {
    ...(spec.host !== undefined ? { hosts: [spec.host] } : {}),
    ...(spec.service !== undefined ? { service: spec.service } : {}),
    ...(gateway !== undefined ? { gateway } : {}),
    ...(spec.corsPolicy !== undefined ? { corsPolicy: hubCorsPolicyOf(spec.corsPolicy) } : {}),
    ...(spec.timeout !== undefined ? { timeout: spec.timeout } : {}),
  };
}

/**
 * The hub CORS policy: lists copied, `maxAge` as whole seconds (truncated). Below one second
 * upstream writes 0, which the v2 schema rejects (§17 item 9); apigw writes 1, the smallest
 * value v2 can express.
 */
export function hubCorsPolicyOf(policy: V1beta1CorsPolicy): HubCorsPolicy {
  const duration = policy.maxAge === undefined ? undefined : parseGoDuration(policy.maxAge);
  const seconds = duration?.ok ? duration.value / 1_000_000_000n : undefined;
  return {
    ...(policy.allowHeaders !== undefined ? { allowHeaders: policy.allowHeaders } : {}),
    ...(policy.allowMethods !== undefined ? { allowMethods: policy.allowMethods } : {}),
    ...(policy.allowOrigins !== undefined ? { allowOrigins: policy.allowOrigins } : {}),
    ...(policy.allowCredentials !== undefined ? { allowCredentials: policy.allowCredentials } : {}),
    ...(policy.exposeHeaders !== undefined ? { exposeHeaders: policy.exposeHeaders } : {}),
    ...(seconds !== undefined ? { maxAge: seconds < 1n ? 1 : Number(seconds) } : {}),
  };
}

/** One convertible rule in hub form (§4 step 12). */
function hubRuleOf(rule: V1beta1Rule, path: string): Result<HubRule, FieldError> {
  let noAuth = false;
  let jwt: HubJwt | undefined;
  let extAuth: HubRule["extAuth"];
  for (const [index, strategy] of (rule.accessStrategies ?? []).entries()) {
    const converted = strategyConversion(strategy, `${path}.accessStrategies[${index}]`);
    if (!converted.ok) return converted;
    if (converted.value?.kind === "noAuth") noAuth = true;
    if (converted.value?.kind === "jwt") jwt = mergeJwt(jwt, converted.value.jwt);
    if (converted.value?.kind === "extAuth") extAuth = converted.value.extAuth;
  }
  const request = requestOf(rule, path);
  if (!request.ok) return request;
  return ok({
    ...(rule.path !== undefined ? { path: rule.path } : {}),
    ...(rule.service !== undefined ? { service: rule.service } : {}),
    ...(rule.methods !== undefined ? { methods: rule.methods } : {}),
    ...(noAuth ? { noAuth: true } : {}),
    ...(jwt !== undefined ? { jwt } : {}),
    ...(extAuth !== undefined ? { extAuth } : {}),
    ...(rule.timeout !== undefined ? { timeout: rule.timeout } : {}),
    ...(request.value !== undefined ? { request: request.value } : {}),
  });
}

/**
 * `request` from the `header` and `cookie` mutators: present iff the rule has a `mutators` field,
 * even an empty one; a later mutator of a kind replaces an earlier one. A mutator without config
 * crashes upstream (§15); here it sets nothing.
 */
function requestOf(rule: V1beta1Rule, path: string): Result<HubRule["request"], FieldError> {
  if (rule.mutators === undefined) return ok(undefined);
  let headers: Record<string, string> | undefined;
  let cookies: Record<string, string> | undefined;
  for (const [index, mutator] of rule.mutators.entries()) {
    const config = mutator.config;
    const at = `${path}.mutators[${index}].config`;
    if (mutator.handler === "header") {
      const decoded = decodeShape(StringMap, config?.headers ?? {}, `${at}.headers`);
      if (!decoded.ok) return decoded;
      headers = config?.headers === undefined || config.headers === null
        ? undefined
        : decoded.value;
    } else if (mutator.handler === "cookie") {
      const decoded = decodeShape(StringMap, config?.cookies ?? {}, `${at}.cookies`);
      if (!decoded.ok) return decoded;
      cookies = config?.cookies === undefined || config.cookies === null
        ? undefined
        : decoded.value;
    }
  }
  return ok({
    ...(headers !== undefined ? { headers } : {}),
    ...(cookies !== undefined ? { cookies } : {}),
  });
}

function legacyRulesOf(text: string): Result<HubRule[] | undefined, FieldError> {
  const field = annotationField(V2ALPHA1_RULES_ANNOTATION);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(field, `is not valid JSON: ${error instanceof Error ? error.message : error}`);
  }
  if (parsed === null) return ok(undefined);
  return decodeShape(Rules, parsed, field);
}
