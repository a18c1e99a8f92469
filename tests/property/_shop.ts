/**
 * The cluster the property tests render against: APIRule `shop/shop` on HOST with the given
 * rules, the Kyma Gateway, a mesh with an `ext-authz` provider, and the two Services the rules
 * may name — selecting Pods in the mesh, or `ExternalName` ones as `apigw serve` reads them.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { Rule } from "../../api/apirule/v2.ts";

export const HOST = "shop.example.com";
export const SERVICES = [
  { name: "orders", selector: { app: "orders" } },
  { name: "users", selector: { app: "users", tier: "api" } },
];

export function shopObjects(
  ruleList: readonly Rule[],
  services: "mesh" | "external" = "mesh",
): KubeObject[] {
  return [
    {
      apiVersion: "gateway.kyma-project.io/v2",
      kind: "APIRule",
      metadata: { name: "shop", namespace: "shop" },
      spec: { hosts: [HOST], gateway: "kyma-system/kyma-gateway", rules: [...ruleList] },
    },
    {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name: "kyma-gateway", namespace: "kyma-system" },
      spec: { servers: [{ hosts: ["*.example.com"], port: { number: 443, protocol: "HTTPS" } }] },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "istio", namespace: "istio-system" },
      data: {
        mesh:
          "extensionProviders:\n- name: ext-authz\n  envoyExtAuthzHttp:\n    service: authz.svc\n    port: 80\n",
      },
    },
    ...SERVICES.map((s) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: s.name, namespace: "shop" },
      spec: services === "mesh"
        ? { selector: s.selector }
        : { type: "ExternalName", externalName: `${s.name}.internal`, ports: [{ port: 8080 }] },
    })),
  ];
}
