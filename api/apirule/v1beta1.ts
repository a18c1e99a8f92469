/**
 * APIRule `gateway.kyma-project.io/v1beta1` (docs/spec/apirule-v1beta1.md §2): a single `host`, handler
 * lists (`accessStrategies`, `mutators`) with free-form configs, a CORS `maxAge` duration string,
 * and the per-sub-resource status. The patterns are upstream's, loose as they are, so that
 * existing objects stay valid.
 */
import {
  array,
  boolean,
  enumOf,
  freeform,
  integer,
  object,
  record,
  type Static,
  string,
} from "../schema/build.ts";
import { metadata, type ObjectMeta } from "../meta.ts";
import { HTTP_METHODS, TIMEOUT_MAX } from "./v2.ts";

export const V1BETA1_HOST_PATTERN =
  "^([a-zA-Z0-9][a-zA-Z0-9-_]*\\.)*[a-zA-Z0-9]*[a-zA-Z0-9-_]*[[a-zA-Z0-9]+$";
export const V1BETA1_GATEWAY_PATTERN = "^[0-9a-z-_]+(\\/[0-9a-z-_]+|(\\.[0-9a-z-_]+)*)$";
export const V1BETA1_PATH_PATTERN = "^[0-9a-zA-Z./*()?!\\\\_-]+";

const Timeout = integer({ minimum: 1, maximum: TIMEOUT_MAX });

export const ServiceV1beta1 = object({
  name: string(),
  namespace: string({ pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" }),
  port: integer({ minimum: 1, maximum: 65535, format: "int32" }),
  external: boolean(),
}, { required: ["name", "port"] });
export type ServiceV1beta1 = Static<typeof ServiceV1beta1>;

export const Handler = object({
  handler: string({ minLength: 1 }),
  config: freeform(),
}, { required: ["handler"] });
export type Handler = Static<typeof Handler>;

export const RuleV1beta1 = object({
  path: string({ pattern: V1BETA1_PATH_PATTERN }),
  service: ServiceV1beta1,
  methods: array(enumOf(HTTP_METHODS), { minItems: 1 }),
  accessStrategies: array(Handler, { minItems: 1 }),
  mutators: array(Handler),
  timeout: Timeout,
}, { required: ["path", "methods", "accessStrategies"] });
export type RuleV1beta1 = Static<typeof RuleV1beta1>;

export const CorsPolicyV1beta1 = object({
  allowOrigins: array(record(string())),
  allowMethods: array(string()),
  allowHeaders: array(string()),
  exposeHeaders: array(string()),
  allowCredentials: boolean(),
  maxAge: string(),
});
export type CorsPolicyV1beta1 = Static<typeof CorsPolicyV1beta1>;

export const APIRuleSpecV1beta1 = object({
  host: string({ minLength: 3, maxLength: 256, pattern: V1BETA1_HOST_PATTERN }),
  service: ServiceV1beta1,
  gateway: string({ pattern: V1BETA1_GATEWAY_PATTERN }),
  corsPolicy: CorsPolicyV1beta1,
  rules: array(RuleV1beta1, { minItems: 1 }),
  timeout: Timeout,
}, { required: ["host", "gateway", "rules"] });
export type APIRuleSpecV1beta1 = Static<typeof APIRuleSpecV1beta1>;

export const STATUS_CODES = ["OK", "SKIPPED", "ERROR", "WARNING"] as const;
export type StatusCode = typeof STATUS_CODES[number];

const ResourceStatus = object({ code: enumOf(STATUS_CODES), desc: string() });
export type ResourceStatus = Static<typeof ResourceStatus>;

export const APIRuleStatusV1beta1 = object({
  lastProcessedTime: string({ format: "date-time" }),
  observedGeneration: integer({ format: "int64" }),
  APIRuleStatus: ResourceStatus,
  virtualServiceStatus: ResourceStatus,
  accessRuleStatus: ResourceStatus,
  requestAuthenticationStatus: ResourceStatus,
  authorizationPolicyStatus: ResourceStatus,
});
export type APIRuleStatusV1beta1 = Static<typeof APIRuleStatusV1beta1>;

export const APIRuleV1beta1 = object({
  apiVersion: string(),
  kind: string(),
  metadata: metadata(),
  spec: APIRuleSpecV1beta1,
  status: APIRuleStatusV1beta1,
});

export interface APIRuleV1beta1Object {
  apiVersion: "gateway.kyma-project.io/v1beta1";
  kind: "APIRule";
  metadata: ObjectMeta;
  spec?: APIRuleSpecV1beta1;
  status?: APIRuleStatusV1beta1;
}
