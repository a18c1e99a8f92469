/**
 * APIRule `gateway.kyma-project.io/v2` and `v2alpha1` (the storage version): one schema for
 * both, since they share every field (docs/spec/apirule-v2.md §2); only `v2` requires `spec`.
 * Rule texts and messages are upstream's, so the apiserver and offline validation agree.
 */
import {
  array,
  boolean,
  enumOf,
  integer,
  object,
  record,
  type Schema,
  type Static,
  string,
} from "../schema/build.ts";
import { metadata, type ObjectMeta } from "../meta.ts";

export const HTTP_METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
] as const;
export type HttpMethod = typeof HTTP_METHODS[number];

/** App. A1: short host, FQDN (last label 2–63 alphanumerics) or `*.` + FQDN. */
export const HOST_PATTERN =
  "^(?:\\*\\.(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]{2,63}|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?:\\.[a-z0-9]{2,63}))?)$";

/** App. A2: exact paths with `{*}`/`{**}` segments, or the wildcard `/*`. */
export const PATH_PATTERN =
  "^((\\/([A-Za-z0-9-._~!$&'()+,;=:@]|%[0-9a-fA-F]{2})*)|(\\/\\{\\*{1,2}\\}))+$|^\\/\\*$";

/** App. A4: `namespace/name`. */
export const GATEWAY_REF_PATTERN =
  "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?/([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$";

export const TIMEOUT_MAX = 3900;

const Timeout = integer({ minimum: 1, maximum: TIMEOUT_MAX });

const Host = string({
  maxLength: 255,
  rules: [{
    rule: `self.matches('${HOST_PATTERN.replaceAll("\\", "\\\\")}')`,
    message:
      "Host must be a lowercase RFC 1123 label (must consist of lowercase alphanumeric characters or '-', and must start and end with an lowercase alphanumeric character), a fully qualified domain name, or a wildcard domain name (e.g. *.local.kyma.dev)",
  }],
});

function gatewayRef(message: string): Schema<string> {
  return string({
    maxLength: 127,
    rules: [{ rule: `self.matches('${GATEWAY_REF_PATTERN}')`, message }],
  });
}

export const Service = object({
  name: string(),
  namespace: string({ pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" }),
  port: integer({ minimum: 1, maximum: 65535, format: "int32" }),
  external: boolean(),
}, { required: ["name", "port"] });
export type Service = Static<typeof Service>;

export const JwtHeader = object({ name: string(), prefix: string() }, { required: ["name"] });

export const JwtAuthentication = object({
  issuer: string(),
  jwksUri: string(),
  fromHeaders: array(JwtHeader),
  fromParams: array(string()),
}, { required: ["issuer", "jwksUri"] });
export type JwtAuthentication = Static<typeof JwtAuthentication>;

export const JwtAuthorization = object({
  requiredScopes: array(string()),
  audiences: array(string()),
});
export type JwtAuthorization = Static<typeof JwtAuthorization>;

export const JwtConfig = object({
  authentications: array(JwtAuthentication),
  authorizations: array(JwtAuthorization),
});
export type JwtConfig = Static<typeof JwtConfig>;

export const ExtAuth = object({
  authorizers: array(string(), { minItems: 1 }),
  restrictions: JwtConfig,
}, { required: ["authorizers"] });
export type ExtAuth = Static<typeof ExtAuth>;

export const Rule = object({
  path: string({ pattern: PATH_PATTERN }),
  service: Service,
  methods: array(enumOf(HTTP_METHODS), { minItems: 1 }),
  noAuth: boolean(),
  jwt: JwtConfig,
  extAuth: ExtAuth,
  timeout: Timeout,
  request: object({ cookies: record(string()), headers: record(string()) }),
}, {
  required: ["path", "methods"],
  rules: [{
    rule:
      "((has(self.extAuth)?1:0)+(has(self.jwt)?1:0)+((has(self.noAuth)&&self.noAuth==true)?1:0))==1",
    message: "One of the following fields must be set: noAuth, jwt, extAuth",
  }],
});
export type Rule = Static<typeof Rule>;

export const CorsPolicy = object({
  allowHeaders: array(string()),
  allowMethods: array(string()),
  allowOrigins: array(record(string())),
  allowCredentials: boolean(),
  exposeHeaders: array(string()),
  maxAge: integer({ minimum: 1, format: "int64" }),
});
export type CorsPolicy = Static<typeof CorsPolicy>;

export const APIRuleSpec = object({
  hosts: array(Host, { minItems: 1, maxItems: 1 }),
  service: Service,
  gateway: gatewayRef("Gateway must be in the namespace/name format"),
  externalGateway: gatewayRef("ExternalGateway must be in the namespace/name format"),
  corsPolicy: CorsPolicy,
  rules: array(Rule, { minItems: 1 }),
  timeout: Timeout,
}, { required: ["hosts", "rules"] });
export type APIRuleSpec = Static<typeof APIRuleSpec>;

export const STATES = ["Processing", "Deleting", "Ready", "Error", "Warning"] as const;
export type State = typeof STATES[number];

export const APIRuleStatus = object({
  lastProcessedTime: string({ format: "date-time" }),
  state: enumOf(STATES),
  description: string(),
}, { required: ["state"] });
export type APIRuleStatus = Static<typeof APIRuleStatus>;

/** `v2`: `spec` is required at the top level. */
export const APIRuleV2 = object({
  apiVersion: string(),
  kind: string(),
  metadata: metadata(),
  spec: APIRuleSpec,
  status: APIRuleStatus,
}, { required: ["spec"] });

/** `v2alpha1`: the storage version and conversion hub; `spec` is optional. */
export const APIRuleV2alpha1 = object({
  apiVersion: string(),
  kind: string(),
  metadata: metadata(),
  spec: APIRuleSpec,
  status: APIRuleStatus,
});

export interface APIRuleV2Object {
  apiVersion: "gateway.kyma-project.io/v2" | "gateway.kyma-project.io/v2alpha1";
  kind: "APIRule";
  metadata: ObjectMeta;
  spec?: APIRuleSpec;
  status?: APIRuleStatus;
}
