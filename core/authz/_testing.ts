/** Fixtures for the authz tests: APIRule v2 objects and the Gateway their short hosts need. */
import type { JwtConfig, Rule } from "../../api/apirule/v2.ts";

export const GATEWAY = {
  apiVersion: "networking.istio.io/v1",
  kind: "Gateway",
  metadata: { namespace: "kyma-system", name: "kyma-gateway" },
  spec: {
    selector: { app: "istio-ingressgateway" },
    servers: [{
      hosts: ["*.local.kyma.dev"],
      port: { number: 443, name: "https", protocol: "HTTPS" },
    }],
  },
};

export const ISSUER = "https://issuer.example.com";
export const JWKS_URI = "https://issuer.example.com/jwks";

/** An APIRule v2 named `name` in `default` for `host` with `rules`. */
export function apiRule(
  name: string,
  rules: Partial<Rule>[],
  options: { host?: string; namespace?: string; created?: string } = {},
): Record<string, unknown> {
  return {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: {
      name,
      namespace: options.namespace ?? "default",
      ...(options.created !== undefined ? { creationTimestamp: options.created } : {}),
    },
    spec: {
      hosts: [options.host ?? `${name}.local.kyma.dev`],
      gateway: "kyma-system/kyma-gateway",
      service: { name: "backend", port: 8080 },
      rules: rules.map((rule) => ({ path: "/*", methods: ["GET"], ...rule })),
    },
  };
}

/** A `jwt` rule block for the test issuer. */
export function jwtConfig(
  authorizations: { requiredScopes?: string[]; audiences?: string[] }[] = [],
  authentication: Record<string, unknown> = {},
): JwtConfig {
  return {
    authentications: [{ issuer: ISSUER, jwksUri: JWKS_URI, ...authentication }],
    ...(authorizations.length > 0 ? { authorizations } : {}),
  };
}
