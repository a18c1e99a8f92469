/** The rules the authz and tracing benchmarks decide: one jwt APIRule behind the Kyma gateway. */
import { stringify } from "yaml";

export const HOST = "orders.bench.local";

/** A Gateway and one jwt APIRule on `HOST` trusting `issuer` (bench/authz.ts, bench/tracing.ts). */
export function rulesYaml(issuer: string): string {
  const gateway = {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { namespace: "kyma-system", name: "kyma-gateway" },
    spec: {
      selector: { app: "istio-ingressgateway" },
      servers: [{
        hosts: ["*.bench.local"],
        port: { number: 443, name: "https", protocol: "HTTPS" },
      }],
    },
  };
  const rule = {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: { namespace: "default", name: "orders" },
    spec: {
      hosts: [HOST],
      gateway: "kyma-system/kyma-gateway",
      service: { name: "orders", port: 8080 },
      rules: [{
        path: "/orders/{*}",
        methods: ["GET"],
        jwt: {
          authentications: [{ issuer, jwksUri: `${issuer}/jwks` }],
          authorizations: [{ requiredScopes: ["orders:read"] }],
        },
      }],
    },
  };
  return [gateway, rule].map((o) => stringify(o)).join("---\n");
}
