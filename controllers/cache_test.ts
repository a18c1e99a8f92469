import assert from "node:assert/strict";
import { slimService } from "./cache.ts";

Deno.test("slimService() keeps what the planners read of a Service and nothing else", () => {
  const metadata = { name: "istio-ingressgateway", namespace: "istio-system", uid: "u1" };
  const slim = slimService({
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      type: "LoadBalancer",
      selector: { app: "istio-ingressgateway" },
      ports: [{ name: "http2", port: 80, protocol: "TCP", targetPort: 8080 }],
      ipFamilies: ["IPv4", "IPv6"],
      clusterIP: "10.0.0.1",
      clusterIPs: ["10.0.0.1"],
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
    },
    status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] }, conditions: [{ type: "x" }] },
  });
  assert.deepEqual(slim, {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      type: "LoadBalancer",
      selector: { app: "istio-ingressgateway" },
      ports: [{ name: "http2", port: 80, protocol: "TCP", targetPort: 8080 }],
      ipFamilies: ["IPv4", "IPv6"],
    },
    status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } },
  });
});

Deno.test("slimService() reads a Service without spec or status", () => {
  const metadata = { name: "s", namespace: "n" };
  assert.deepEqual(slimService({ apiVersion: "v1", kind: "Service", metadata }), {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {},
  });
});
