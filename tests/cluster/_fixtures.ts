/** Small objects the cluster tests create. */

/** Collection path of VirtualServices in `namespace`. */
export function virtualServicesPath(namespace: string): string {
  return `/apis/networking.istio.io/v1/namespaces/${namespace}/virtualservices`;
}

/** A valid VirtualService routing `host` to `service`. */
export function virtualService(
  name: string,
  options: { host?: string; service?: string; labels?: Record<string, string> } = {},
) {
  const { host = `${name}.example.com`, service = "httpbin", labels = {} } = options;
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, labels },
    spec: {
      hosts: [host],
      gateways: ["kyma-system/kyma-gateway"],
      http: [{ route: [{ destination: { host: service, port: { number: 8000 } } }] }],
    },
  };
}

/** A ConfigMap with one key. */
export function configMap(name: string, data: Record<string, string> = { key: "value" }) {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data };
}
