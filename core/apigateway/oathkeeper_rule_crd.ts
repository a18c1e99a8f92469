/**
 * The Ory Oathkeeper `Rule` CRD (docs/spec/apigateway.md §8.3 row 1), which the operator installs with the
 * Oathkeeper stack: the Maester fixture's schema without its printer columns.
 */
import type { KubeObject } from "../../api/meta.ts";
import { managedMeta, reference } from "./_meta.ts";

export const RULE_CRD = "rules.oathkeeper.ory.sh";

const APIEXTENSIONS_V1 = "apiextensions.k8s.io/v1";

/** The CustomResourceDefinition `rules.oathkeeper.ory.sh`. */
export function oathkeeperRuleCRD(): KubeObject {
  return {
    apiVersion: APIEXTENSIONS_V1,
    kind: "CustomResourceDefinition",
    metadata: managedMeta(RULE_CRD, ""),
    spec: {
      group: "oathkeeper.ory.sh",
      names: { kind: "Rule", listKind: "RuleList", plural: "rules", singular: "rule" },
      scope: "Namespaced",
      versions: [{
        name: "v1alpha1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: RULE_SCHEMA },
      }],
    },
  };
}

/** The CRD to delete when the stack is torn down. */
export function oathkeeperRuleCRDReference(): KubeObject {
  return reference(APIEXTENSIONS_V1, "CustomResourceDefinition", "", RULE_CRD);
}

function handler(description: string): Record<string, unknown> {
  return {
    description,
    type: "object",
    required: ["handler"],
    properties: {
      config: {
        description: "Config configures the handler. Configuration keys vary per handler.",
        type: "object",
        "x-kubernetes-preserve-unknown-fields": true,
      },
      handler: { description: "Name is the name of a handler", type: "string" },
    },
  };
}

const RULE_SCHEMA = {
  description: "Rule is the Schema for the rules API",
  type: "object",
  properties: {
    apiVersion: {
      description:
        "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
      type: "string",
    },
    kind: {
      description:
        "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
      type: "string",
    },
    metadata: { type: "object" },
    spec: {
      description: "RuleSpec defines the desired state of Rule",
      type: "object",
      required: ["match"],
      properties: {
        authenticators: {
          type: "array",
          items: handler(
            "Authenticator represents a handler that authenticates provided credentials.",
          ),
        },
        authorizer: handler(
          'Authorizer represents a handler that authorizes the subject ("user") from the previously validated credentials making the request.',
        ),
        configMapName: {
          description: "ConfigMapName points to the K8s ConfigMap that contains these rules",
          type: "string",
          maxLength: 253,
          minLength: 1,
          pattern: "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
        },
        match: {
          description: "Match defines the URL(s) that an access rule should match.",
          type: "object",
          required: ["methods", "url"],
          properties: {
            methods: {
              description:
                "Methods represent an array of HTTP methods (e.g. GET, POST, PUT, DELETE, ...)",
              type: "array",
              items: { type: "string" },
            },
            url: {
              description: "URL is the URL that should be matched. It supports regex templates.",
              type: "string",
            },
          },
        },
        mutators: {
          type: "array",
          items: handler(
            "Mutator represents a handler that transforms the HTTP request before forwarding it.",
          ),
        },
        upstream: {
          description:
            "Upstream represents the location of a server where requests matching a rule should be forwarded to.",
          type: "object",
          required: ["url"],
          properties: {
            preserveHost: {
              description:
                "PreserveHost includes the host and port of the url value if set to false. If true, the host and port of the ORY Oathkeeper Proxy will be used instead.",
              type: "boolean",
            },
            stripPath: {
              description:
                "StripPath replaces the provided path prefix when forwarding the requested URL to the upstream URL.",
              type: "string",
            },
            url: {
              description: "URL defines the target URL for incoming requests",
              type: "string",
              maxLength: 256,
              minLength: 3,
              pattern: "^(?:https?:\\/\\/)?(?:[^@\\/\\n]+@)?(?:www\\.)?([^:\\/\\n]+)",
            },
          },
        },
      },
    },
    status: {
      description: "RuleStatus defines the observed state of Rule",
      type: "object",
      properties: {
        validation: {
          description: "Validation defines the validation state of Rule",
          type: "object",
          properties: { valid: { type: "boolean" }, validationError: { type: "string" } },
        },
      },
    },
  },
};
