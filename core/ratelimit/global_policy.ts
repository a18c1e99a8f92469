/**
 * The AuthorizationPolicy a RateLimit with `spec.global` owns (apigw): action `CUSTOM` to apigw's
 * extension provider for the selected workload, so Envoy asks `apigw authz` about every request
 * of that workload, and apigw enforces the global buckets there. Same name and namespace as the
 * RateLimit and its EnvoyFilter, a controller reference to the RateLimit. One empty rule matches
 * every request: the default bucket covers whatever the extra buckets do not.
 * See https://istio.io/latest/docs/reference/config/security/authorization-policy/
 */
import type { KubeObject } from "../../api/meta.ts";
import { SECURITY_V1 } from "../istio/types.ts";
import { type ControllerReference, controllerReference } from "./envoy_filter.ts";
import type { RateLimitModel } from "./rate_limit.ts";

/** The provider name `apigw manifests` installs `apigw authz` under (its `--provider-name`). */
export const APIGW_AUTHZ_PROVIDER = "apigw-authz";

export interface GlobalPolicy extends KubeObject {
  apiVersion: typeof SECURITY_V1;
  kind: "AuthorizationPolicy";
  metadata: { name: string; namespace: string; ownerReferences: [ControllerReference] };
  spec: {
    selector: { matchLabels: Record<string, string> };
    action: "CUSTOM";
    provider: { name: string };
    rules: [Record<string, never>];
  };
}

/** The CUSTOM policy of a RateLimit that has `spec.global`. */
export function globalPolicyFor(
  rateLimit: RateLimitModel,
  options: { provider?: string } = {},
): GlobalPolicy {
  const { name, namespace } = rateLimit;
  return {
    apiVersion: SECURITY_V1,
    kind: "AuthorizationPolicy",
    metadata: {
      name,
      namespace,
      ownerReferences: [controllerReference(rateLimit)],
    },
    spec: {
      selector: { matchLabels: { ...rateLimit.selectorLabels } },
      action: "CUSTOM",
      provider: { name: options.provider ?? APIGW_AUTHZ_PROVIDER },
      rules: [{}],
    },
  };
}
