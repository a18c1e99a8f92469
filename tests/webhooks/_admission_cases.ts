/**
 * Objects submitted through the apiserver with apigw's admission webhooks on: one invalid object
 * per validation family — the CRD schema and its CEL rules (refused by the apiserver before any
 * validating webhook), then apigw's own checks on the object alone for each kind and version
 * (refused by the webhook) — each expected with its field path, and valid objects that pass.
 */

export interface AdmissionCase {
  name: string;
  object: (namespace: string) => { apiVersion: string; kind: string } & Record<string, unknown>;
  /** Text the refusal must contain; undefined: the create must pass. */
  fragments?: string[];
  /** Refused by apigw's webhook rather than by the apiserver's own schema checks. */
  byWebhook: boolean;
}

const V2 = "gateway.kyma-project.io/v2";
const V2ALPHA1 = "gateway.kyma-project.io/v2alpha1";
const V1BETA1 = "gateway.kyma-project.io/v1beta1";
const SERVICE = { name: "httpbin", port: 8000 };

function apirule(apiVersion: string, name: string, spec: Record<string, unknown>) {
  return (namespace: string) => ({
    apiVersion,
    kind: "APIRule",
    metadata: { name, namespace },
    spec,
  });
}

function v2Spec(rules: unknown[], extra: Record<string, unknown> = {}) {
  return {
    hosts: ["shop.example.com"],
    gateway: "kyma-system/kyma-gateway",
    service: SERVICE,
    rules,
    ...extra,
  };
}

function rateLimit(name: string, buckets: unknown[]) {
  return (namespace: string) => ({
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name, namespace },
    spec: {
      selectorLabels: { app: "web" },
      local: { defaultBucket: { maxTokens: 20, tokensPerFill: 20, fillInterval: "1m" }, buckets },
    },
  });
}

const NO_AUTH = { path: "/a", methods: ["GET"], noAuth: true };

export const ADMISSION_CASES: readonly AdmissionCase[] = [
  {
    name: "valid v2 passes",
    object: apirule(V2, "valid-v2", v2Spec([NO_AUTH])),
    byWebhook: false,
  },
  {
    name: "valid v2alpha1 passes",
    object: apirule(V2ALPHA1, "valid-v2alpha1", v2Spec([NO_AUTH])),
    byWebhook: false,
  },
  {
    name: "valid v1beta1 passes",
    object: apirule(V1BETA1, "valid-v1beta1", {
      host: "legacy.example.com",
      gateway: "kyma-system/kyma-gateway",
      service: SERVICE,
      rules: [{ path: "/.*", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] }],
    }),
    byWebhook: false,
  },
  {
    name: "valid RateLimit passes",
    object: rateLimit("valid-limit", [{ path: "/a", bucket: bucket() }]),
    byWebhook: false,
  },
  {
    name: "schema: a missing required field",
    object: apirule(V2, "schema-required", {
      gateway: "kyma-system/kyma-gateway",
      rules: [NO_AUTH],
    }),
    fragments: ["spec.hosts"],
    byWebhook: false,
  },
  {
    name: "CEL: a rule without an access strategy",
    object: apirule(V2, "cel-strategy", v2Spec([{ path: "/a", methods: ["GET"] }])),
    fragments: ["spec.rules[0]", "One of the following fields must be set: noAuth, jwt, extAuth"],
    byWebhook: false,
  },
  {
    name: "v2 semantics: a path with two {**}",
    object: apirule(V2, "v2-path", v2Spec([{ ...NO_AUTH, path: "/a/{**}/b/{**}" }])),
    fragments: ["denied the request", "spec.rules[0].path"],
    byWebhook: true,
  },
  {
    name: "v2 semantics: a JWT rule without authentications",
    object: apirule(
      V2,
      "v2-jwt",
      v2Spec([{ path: "/a", methods: ["GET"], jwt: { authentications: [] } }]),
    ),
    fragments: ["denied the request", "spec.rules[0].jwt"],
    byWebhook: true,
  },
  {
    name: "v2alpha1 semantics: a path with two {**}",
    object: apirule(V2ALPHA1, "v2alpha1-path", v2Spec([{ ...NO_AUTH, path: "/{**}/x/{**}" }])),
    fragments: ["denied the request", "spec.rules[0].path"],
    byWebhook: true,
  },
  {
    name: "v1beta1 semantics: a JWT handler without authentications",
    object: apirule(V1BETA1, "v1beta1-jwt", {
      host: "legacy.example.com",
      gateway: "kyma-system/kyma-gateway",
      service: SERVICE,
      rules: [{
        path: "/a",
        methods: ["GET"],
        accessStrategies: [{ handler: "jwt", config: { authentications: [] } }],
      }],
    }),
    fragments: ["denied the request", "spec.rules[0].accessStrategies"],
    byWebhook: true,
  },
  {
    name: "RateLimit semantics: a bucket path without a slash",
    object: rateLimit("bad-limit", [{ path: "ip", bucket: bucket() }]),
    fragments: ["denied the request", "spec.local.buckets[0].path"],
    byWebhook: true,
  },
];

function bucket() {
  return { maxTokens: 10, tokensPerFill: 10, fillInterval: "1m" };
}
