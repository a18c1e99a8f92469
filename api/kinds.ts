/**
 * apigw's own kinds by apiVersion and kind: the schema each version is validated against.
 */
import type { OpenAPISchema } from "./schema/openapi.ts";
import { APIRuleV2, APIRuleV2alpha1 } from "./apirule/v2.ts";
import { APIRuleV1beta1 } from "./apirule/v1beta1.ts";
import { RateLimit } from "./ratelimit/v1alpha1.ts";
import { APIGateway } from "./apigateway/v1alpha1.ts";

export const APIRULE_V1BETA1 = "gateway.kyma-project.io/v1beta1";
export const APIRULE_V2ALPHA1 = "gateway.kyma-project.io/v2alpha1";
export const APIRULE_V2 = "gateway.kyma-project.io/v2";
export const RATELIMIT_V1ALPHA1 = "gateway.kyma-project.io/v1alpha1";
export const APIGATEWAY_V1ALPHA1 = "operator.kyma-project.io/v1alpha1";

export const APIRULE_VERSIONS = [APIRULE_V1BETA1, APIRULE_V2ALPHA1, APIRULE_V2] as const;
export type APIRuleVersion = typeof APIRULE_VERSIONS[number];

interface KindEntry {
  apiVersion: string;
  kind: string;
  schema: OpenAPISchema;
  namespaced: boolean;
}

export const OWN_KINDS: readonly KindEntry[] = [
  { apiVersion: APIRULE_V1BETA1, kind: "APIRule", schema: APIRuleV1beta1, namespaced: true },
  { apiVersion: APIRULE_V2ALPHA1, kind: "APIRule", schema: APIRuleV2alpha1, namespaced: true },
  { apiVersion: APIRULE_V2, kind: "APIRule", schema: APIRuleV2, namespaced: true },
  { apiVersion: RATELIMIT_V1ALPHA1, kind: "RateLimit", schema: RateLimit, namespaced: true },
  { apiVersion: APIGATEWAY_V1ALPHA1, kind: "APIGateway", schema: APIGateway, namespaced: false },
];

/** The entry of one of apigw's own kinds, or undefined for any other object. */
export function ownKind(apiVersion: unknown, kind: unknown): KindEntry | undefined {
  return OWN_KINDS.find((k) => k.apiVersion === apiVersion && k.kind === kind);
}

/** Tells whether `apiVersion` is a served APIRule version. */
export function isAPIRuleVersion(apiVersion: unknown): apiVersion is APIRuleVersion {
  return (APIRULE_VERSIONS as readonly unknown[]).includes(apiVersion);
}
