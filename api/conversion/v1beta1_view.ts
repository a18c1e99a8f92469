/**
 * A best-effort v1beta1 spec for APIRules that were not authored in v1beta1 (docs/spec/conversion.md §17
 * item 4: upstream shows them with an empty spec). Every v2 field with a v1beta1 form is kept, in
 * a form that converts back to the same v2 spec: `noAuth` → `no_auth`, `jwt` → a `jwt` strategy in
 * the Istio dialect, `extAuth` → apigw's `ext-auth` strategy, `request` → `header`/`cookie`
 * mutators. Only `externalGateway` has no v1beta1 form.
 */
import type {
  HubCorsPolicy,
  HubRule,
  HubSpec,
  V1beta1CorsPolicy,
  V1beta1Handler,
  V1beta1Rule,
  V1beta1Spec,
} from "./_types.ts";
import { EXT_AUTH_HANDLER } from "./convertible.ts";
import { formatGoDuration } from "../duration.ts";

/** The v1beta1 view of a hub spec. */
export function v1beta1ViewOf(spec: HubSpec): V1beta1Spec {
  const host = spec.hosts?.[0];
  return {
    ...(host !== undefined ? { host } : {}),
    ...(spec.service !== undefined ? { service: spec.service } : {}),
    ...(spec.gateway !== undefined ? { gateway: spec.gateway } : {}),
    ...(spec.corsPolicy !== undefined ? { corsPolicy: corsPolicyView(spec.corsPolicy) } : {}),
    ...(spec.rules !== undefined ? { rules: spec.rules.map(ruleView) } : {}),
    ...(spec.timeout !== undefined ? { timeout: spec.timeout } : {}),
  };
}

function corsPolicyView(policy: HubCorsPolicy): V1beta1CorsPolicy {
  return {
    ...(policy.allowOrigins !== undefined ? { allowOrigins: policy.allowOrigins } : {}),
    ...(policy.allowMethods !== undefined ? { allowMethods: policy.allowMethods } : {}),
    ...(policy.allowHeaders !== undefined ? { allowHeaders: policy.allowHeaders } : {}),
    ...(policy.exposeHeaders !== undefined ? { exposeHeaders: policy.exposeHeaders } : {}),
    ...(policy.allowCredentials !== undefined ? { allowCredentials: policy.allowCredentials } : {}),
    ...(policy.maxAge !== undefined
      ? { maxAge: formatGoDuration(BigInt(policy.maxAge) * 1_000_000_000n) }
      : {}),
  };
}

function ruleView(rule: HubRule): V1beta1Rule {
  const strategies: V1beta1Handler[] = [
    ...(rule.noAuth === true ? [{ handler: "no_auth" }] : []),
    ...(rule.jwt !== undefined ? [{ handler: "jwt", config: rule.jwt }] : []),
    ...(rule.extAuth !== undefined ? [{ handler: EXT_AUTH_HANDLER, config: rule.extAuth }] : []),
  ];
  const request = rule.request;
  const mutators: V1beta1Handler[] | undefined = request === undefined ? undefined : [
    ...(request.headers !== undefined
      ? [{ handler: "header", config: { headers: request.headers } }]
      : []),
    ...(request.cookies !== undefined
      ? [{ handler: "cookie", config: { cookies: request.cookies } }]
      : []),
  ];
  return {
    ...(rule.path !== undefined ? { path: rule.path } : {}),
    ...(rule.service !== undefined ? { service: rule.service } : {}),
    ...(rule.methods !== undefined ? { methods: rule.methods } : {}),
    accessStrategies: strategies,
    ...(mutators !== undefined ? { mutators } : {}),
    ...(rule.timeout !== undefined ? { timeout: rule.timeout } : {}),
  };
}
