/** Test fixtures for the validation tests: small builders for facts and APIRules. */
import type {
  GatewayFact,
  PodFact,
  ServiceFact,
  ValidationFacts,
  VirtualServiceFact,
} from "./facts.ts";

export function service(
  namespace: string,
  name: string,
  selector: Record<string, string> = { app: name },
): ServiceFact {
  return { namespace, name, selector };
}

export function pod(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  options: {
    containers?: string[];
    initContainers?: string[];
    annotations?: Record<string, string>;
  } = {},
): PodFact {
  return {
    namespace,
    name,
    labels,
    annotations: options.annotations ?? {},
    containers: options.containers ?? ["app", "istio-proxy"],
    initContainers: options.initContainers ?? [],
  };
}

export function gateway(namespace: string, name: string, ...hosts: string[][]): GatewayFact {
  return {
    namespace,
    name,
    servers: hosts.map((h) => ({ hosts: h, protocol: "HTTPS" })),
  };
}

export function virtualService(
  namespace: string,
  name: string,
  hosts: string[],
  labels: Record<string, string> = {},
): VirtualServiceFact {
  return { namespace, name, hosts, labels };
}

export const KYMA_GATEWAY = gateway("kyma-system", "kyma-gateway", ["*.local.kyma.dev"]);

export const MESH = `extensionProviders:
- name: ext-authz
  envoyExtAuthzHttp:
    service: ext-authz.ext-authz.svc.cluster.local
    port: 8000
- name: grpc-authz
  envoyExtAuthzGrpc:
    service: grpc.ext-authz.svc.cluster.local
    port: 9000
`;

/** A complete cluster with the Service `demo/httpbin`, an injected Pod and the Kyma Gateway. */
export function cluster(extra: Partial<ValidationFacts> = {}): ValidationFacts {
  return {
    complete: true,
    services: [service("demo", "httpbin")],
    pods: [pod("demo", "httpbin-1", { app: "httpbin" })],
    gateways: [KYMA_GATEWAY],
    externalGateways: [],
    virtualServices: [],
    istioMeshConfigMap: { data: { mesh: MESH } },
    jwtHandler: "ory",
    apiGateways: [],
    rateLimits: [],
    ...extra,
  };
}

/** A copy of `object` without the keys whose value is undefined (as YAML input would be). */
export function defined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

/** An APIRule v2 in `demo` whose spec is `spec` over a valid default (undefined drops a key). */
export function apiRuleV2(
  spec: Record<string, unknown> = {},
  name = "httpbin",
): Record<string, unknown> {
  return {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: { name, namespace: "demo" },
    spec: defined({
      hosts: ["httpbin.local.kyma.dev"],
      gateway: "kyma-system/kyma-gateway",
      service: { name: "httpbin", port: 8000 },
      rules: [{ path: "/*", methods: ["GET"], noAuth: true }],
      ...spec,
    }),
  };
}

export const JWT = {
  authentications: [{
    issuer: "https://auth.example.com",
    jwksUri: "https://auth.example.com/.well-known/jwks.json",
  }],
};
