/**
 * The CustomResourceDefinitions apigw owns, built from the schemas in this folder. `deno task gen`
 * writes them to `manifests/crds/`; `crd_test.ts` fails when those files are stale.
 */
import type { OpenAPISchema } from "./schema/openapi.ts";
import { APIRuleV2, APIRuleV2alpha1 } from "./apirule/v2.ts";
import { APIRuleV1beta1 } from "./apirule/v1beta1.ts";
import { RateLimit } from "./ratelimit/v1alpha1.ts";
import { APIGateway } from "./apigateway/v1alpha1.ts";

export const WEBHOOK_NAMESPACE = "kyma-system";
export const WEBHOOK_SERVICE = "api-gateway-webhook-service";
export const WEBHOOK_PORT = 9443;
export const CONVERT_PATH = "/convert";

interface PrinterColumn {
  name: string;
  type: "string" | "date" | "integer";
  jsonPath: string;
}

interface VersionDefinition {
  name: string;
  served: true;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema: OpenAPISchema;
  printerColumns: PrinterColumn[];
}

export interface CRDDefinition {
  group: string;
  kind: string;
  plural: string;
  singular: string;
  listKind: string;
  scope: "Namespaced" | "Cluster";
  categories: string[];
  versions: VersionDefinition[];
  /** Conversion through our webhook (APIRule only). */
  webhookConversion: boolean;
}

const AGE: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

const V2_COLUMNS: PrinterColumn[] = [
  { name: "Status", type: "string", jsonPath: ".status.state" },
  { name: "Hosts", type: "string", jsonPath: ".spec.hosts" },
  AGE,
];

export const APIRULE_CRD: CRDDefinition = {
  group: "gateway.kyma-project.io",
  kind: "APIRule",
  plural: "apirules",
  singular: "apirule",
  listKind: "APIRuleList",
  scope: "Namespaced",
  categories: ["kyma-api-gateway"],
  webhookConversion: true,
  versions: [
    {
      name: "v1beta1",
      served: true,
      storage: false,
      deprecated: true,
      deprecationWarning:
        "Version v1beta1 of APIRule is deprecated and will be removed in future releases. Use version v2 instead.",
      schema: APIRuleV1beta1,
      printerColumns: [
        { name: "Status", type: "string", jsonPath: ".status.APIRuleStatus.code" },
        { name: "Host", type: "string", jsonPath: ".spec.host" },
        AGE,
      ],
    },
    { name: "v2", served: true, storage: false, schema: APIRuleV2, printerColumns: V2_COLUMNS },
    {
      name: "v2alpha1",
      served: true,
      storage: true,
      schema: APIRuleV2alpha1,
      printerColumns: V2_COLUMNS,
    },
  ],
};

export const RATELIMIT_CRD: CRDDefinition = {
  group: "gateway.kyma-project.io",
  kind: "RateLimit",
  plural: "ratelimits",
  singular: "ratelimit",
  listKind: "RateLimitList",
  scope: "Namespaced",
  categories: ["kyma-api-gateway"],
  webhookConversion: false,
  versions: [{
    name: "v1alpha1",
    served: true,
    storage: true,
    schema: RateLimit,
    printerColumns: [{ name: "Status", type: "string", jsonPath: ".status.state" }, AGE],
  }],
};

export const APIGATEWAY_CRD: CRDDefinition = {
  group: "operator.kyma-project.io",
  kind: "APIGateway",
  plural: "apigateways",
  singular: "apigateway",
  listKind: "APIGatewayList",
  scope: "Cluster",
  categories: ["kyma-modules", "kyma-api-gateway"],
  webhookConversion: false,
  versions: [{
    name: "v1alpha1",
    served: true,
    storage: true,
    schema: APIGateway,
    printerColumns: [{ name: "State", type: "string", jsonPath: ".status.state" }, AGE],
  }],
};

export const CRDS: readonly CRDDefinition[] = [APIRULE_CRD, APIGATEWAY_CRD, RATELIMIT_CRD];

export interface ConversionClientConfig {
  caBundle?: string;
  url?: string;
}

/** The CustomResourceDefinition object of `definition`, ready to apply. */
export function crdObject(
  definition: CRDDefinition,
  conversion: ConversionClientConfig = {},
): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${definition.plural}.${definition.group}`,
      labels: {
        "app.kubernetes.io/part-of": "api-gateway",
        "kyma-project.io/module": "api-gateway",
      },
    },
    spec: {
      group: definition.group,
      names: {
        kind: definition.kind,
        listKind: definition.listKind,
        plural: definition.plural,
        singular: definition.singular,
        categories: definition.categories,
      },
      scope: definition.scope,
      ...(definition.webhookConversion
        ? {
          conversion: {
            strategy: "Webhook",
            webhook: {
              conversionReviewVersions: ["v1", "v1beta1"],
              clientConfig: conversion.url !== undefined
                ? { url: conversion.url, ...caBundle(conversion) }
                : {
                  service: {
                    namespace: WEBHOOK_NAMESPACE,
                    name: WEBHOOK_SERVICE,
                    port: WEBHOOK_PORT,
                    path: CONVERT_PATH,
                  },
                  ...caBundle(conversion),
                },
            },
          },
        }
        : {}),
      versions: definition.versions.map((version) => ({
        name: version.name,
        served: version.served,
        storage: version.storage,
        ...(version.deprecated
          ? { deprecated: true, deprecationWarning: version.deprecationWarning }
          : {}),
        schema: { openAPIV3Schema: version.schema },
        subresources: { status: {} },
        additionalPrinterColumns: version.printerColumns,
      })),
    },
  };
}

function caBundle(conversion: ConversionClientConfig): { caBundle?: string } {
  return conversion.caBundle !== undefined ? { caBundle: conversion.caBundle } : {};
}
