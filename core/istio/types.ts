/**
 * The parts of Istio's objects that apigw writes or reads. apigw emits `networking.istio.io/v1`
 * and `security.istio.io/v1` (decision 2 of the spec README): the GA versions, stored alike.
 * See https://istio.io/latest/docs/reference/config/networking/virtual-service/
 */
import type { ObjectMeta } from "../../api/meta.ts";

export const NETWORKING_V1 = "networking.istio.io/v1";
export const SECURITY_V1 = "security.istio.io/v1";

export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

export interface HTTPRoute {
  match: Array<{ uri: StringMatch; method?: StringMatch }>;
  route: Array<{ destination: { host: string; port: { number: number } }; weight: number }>;
  timeout: string;
  corsPolicy?: CorsPolicy;
  headers: {
    request: { set: Record<string, string> };
    response?: { remove: string[] };
  };
}

export interface CorsPolicy {
  allowOrigins: StringMatch[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  allowCredentials?: boolean;
  maxAge?: string;
}

export type VirtualService = {
  apiVersion: typeof NETWORKING_V1;
  kind: "VirtualService";
  metadata: ObjectMeta;
  spec: { hosts: string[]; gateways: string[]; http: HTTPRoute[] };
};

export interface Operation {
  hosts?: string[];
  methods: string[];
  paths: string[];
  notPaths?: string[];
}

export interface PolicyRule {
  from?: Array<{ source: { requestPrincipals?: string[]; principals?: string[] } }>;
  to: Array<{ operation: Operation }>;
  when?: Array<{ key: string; values: string[] }>;
}

export type AuthorizationPolicy = {
  apiVersion: typeof SECURITY_V1;
  kind: "AuthorizationPolicy";
  metadata: ObjectMeta;
  spec: {
    selector: { matchLabels: Record<string, string> };
    action?: "CUSTOM";
    provider?: { name: string };
    rules: PolicyRule[];
  };
};

export interface JWTRule {
  issuer: string;
  jwksUri: string;
  forwardOriginalToken: true;
  fromHeaders?: Array<{ name: string; prefix?: string }>;
  fromParams?: string[];
}

export type RequestAuthentication = {
  apiVersion: typeof SECURITY_V1;
  kind: "RequestAuthentication";
  metadata: ObjectMeta;
  spec: { selector: { matchLabels: Record<string, string> }; jwtRules: JWTRule[] };
};

/** An Istio Gateway as apigw reads it (only the servers matter). */
export interface Gateway {
  metadata: ObjectMeta;
  spec?: { servers?: Array<{ hosts?: string[]; port?: { protocol?: string } }> };
}
