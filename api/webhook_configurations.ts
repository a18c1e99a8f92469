/**
 * apigw's admission webhooks as the apiserver sees them: the Validating- and
 * MutatingWebhookConfiguration that `apigw manifests` ships (docs/spec/certificate.md §5 names them), the
 * paths the webhook server answers, and the objects the certificate controller injects its CA
 * bundle into. Why each setting: docs/webhooks.md.
 */
import { WEBHOOK_NAMESPACE, WEBHOOK_PORT, WEBHOOK_SERVICE } from "./crds.ts";

export const VALIDATING_WEBHOOK_CONFIGURATION = "api-gateway-validating-webhook-configuration";
export const MUTATING_WEBHOOK_CONFIGURATION = "api-gateway-mutating-webhook-configuration";
export const APIRULE_CRD_NAME = "apirules.gateway.kyma-project.io";
export const CERTIFICATE_SECRET = "api-gateway-webhook-certificate";

export const VALIDATE_APIRULE_PATH = "/validate-gateway-kyma-project-io-apirule";
export const VALIDATE_RATELIMIT_PATH = "/validate-gateway-kyma-project-io-ratelimit";
export const MUTATE_APIRULE_PATH = "/mutate-gateway-kyma-project-io-v2alpha1-apirule";

/**
 * Seconds the apiserver waits for an answer. Every check is local CPU work measured in
 * milliseconds (bench/README.md), so 5 s only bounds a stalled connection, well under the
 * apiserver's own 10 s default and its 30 s maximum.
 */
export const ADMISSION_TIMEOUT_SECONDS = 5;

/** Where the apiserver reaches the webhook: the in-cluster Service, or a URL (tests). */
export type WebhookTarget = { url: string } | { service: true };

/** The user a namespace-scoped operator runs as; its own writes skip validation. */
export function operatorUsername(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

function clientConfig(target: WebhookTarget, path: string): Record<string, unknown> {
  return "url" in target ? { url: `${target.url}${path}` } : {
    service: { namespace: WEBHOOK_NAMESPACE, name: WEBHOOK_SERVICE, port: WEBHOOK_PORT, path },
  };
}

/** Namespaces labelled so opt out of apigw's admission (for break-glass repairs). */
export const ADMISSION_OPT_OUT_LABEL = "gateway.kyma-project.io/admission-webhooks";

const COMMON = {
  sideEffects: "None",
  admissionReviewVersions: ["v1"],
  timeoutSeconds: ADMISSION_TIMEOUT_SECONDS,
  failurePolicy: "Fail",
  matchPolicy: "Exact",
  namespaceSelector: {
    matchExpressions: [{ key: ADMISSION_OPT_OUT_LABEL, operator: "NotIn", values: ["disabled"] }],
  },
};

/** The ValidatingWebhookConfiguration for APIRule (every version) and RateLimit. */
export function validatingWebhookConfiguration(
  target: WebhookTarget,
  options: { operatorUser: string; labels?: Record<string, string> },
): Record<string, unknown> {
  // The operator's own writes (finalizers, status migrations) must never wait for the webhook
  // it serves itself, nor be refused for rules an object predates.
  const notOperator = {
    name: "not-the-operator",
    expression: `request.userInfo.username != ${JSON.stringify(options.operatorUser)}`,
  };
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: VALIDATING_WEBHOOK_CONFIGURATION, labels: options.labels ?? {} },
    webhooks: [
      {
        name: "validation.apirule.gateway.kyma-project.io",
        clientConfig: clientConfig(target, VALIDATE_APIRULE_PATH),
        rules: [{
          apiGroups: ["gateway.kyma-project.io"],
          // Exact match on every served version: each request arrives as the user wrote it,
          // without a conversion call per admission.
          apiVersions: ["v1beta1", "v2alpha1", "v2"],
          operations: ["CREATE", "UPDATE"],
          resources: ["apirules"],
          scope: "Namespaced",
        }],
        matchConditions: [notOperator],
        ...COMMON,
      },
      {
        name: "validation.ratelimit.gateway.kyma-project.io",
        clientConfig: clientConfig(target, VALIDATE_RATELIMIT_PATH),
        rules: [{
          apiGroups: ["gateway.kyma-project.io"],
          apiVersions: ["v1alpha1"],
          operations: ["CREATE", "UPDATE"],
          resources: ["ratelimits"],
          scope: "Namespaced",
        }],
        matchConditions: [notOperator],
        ...COMMON,
      },
    ],
  };
}

/** The MutatingWebhookConfiguration of the v2alpha1 `original-version` defaulting (docs/spec/conversion.md §9). */
export function mutatingWebhookConfiguration(
  target: WebhookTarget,
  options: { labels?: Record<string, string> } = {},
): Record<string, unknown> {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: MUTATING_WEBHOOK_CONFIGURATION, labels: options.labels ?? {} },
    webhooks: [{
      name: "originalversion.apirule.gateway.kyma-project.io",
      clientConfig: clientConfig(target, MUTATE_APIRULE_PATH),
      rules: [{
        apiGroups: ["gateway.kyma-project.io"],
        apiVersions: ["v2alpha1"],
        operations: ["CREATE", "UPDATE"],
        resources: ["apirules"],
        scope: "Namespaced",
      }],
      reinvocationPolicy: "Never",
      ...COMMON,
    }],
  };
}
