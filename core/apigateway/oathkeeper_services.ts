/**
 * Oathkeeper's Services and its (unused, kept for compatibility) ServiceAccount
 * (docs/spec/apigateway.md §8.3 rows 9–10, §8.7).
 */
import type { KubeObject } from "../../api/meta.ts";
import { KYMA_SYSTEM, managedMeta } from "./_meta.ts";
import { MAESTER_METRICS } from "./oathkeeper_maester.ts";

export const OATHKEEPER = "ory-oathkeeper";
export const OATHKEEPER_API = "ory-oathkeeper-api";
export const OATHKEEPER_PROXY = "ory-oathkeeper-proxy";

/** The selector of the Oathkeeper pods. */
export const OATHKEEPER_SELECTOR: Readonly<Record<string, string>> = {
  "app.kubernetes.io/instance": "ory",
  "app.kubernetes.io/name": "oathkeeper",
};

/** The ServiceAccount `ory-oathkeeper`: created, but the Deployment runs as the Maester's. */
export function oathkeeperServiceAccount(): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: managedMeta(OATHKEEPER, KYMA_SYSTEM, { labels: { ...OATHKEEPER_SELECTOR } }),
  };
}

/** The API, Maester metrics and proxy Services, in that order. */
export function oathkeeperServices(): KubeObject[] {
  return [
    service(OATHKEEPER_API, componentLabels("api"), {}, [
      { name: "http", port: 4456, protocol: "TCP", targetPort: "http-api" },
    ]),
    service(
      MAESTER_METRICS,
      {
        "app.kubernetes.io/instance": "ory",
        "app.kubernetes.io/name": "oathkeeper-maester",
        mode: "sidecar",
      },
      {
        "prometheus.io/port": "8080",
        "prometheus.io/scheme": "http",
        "prometheus.io/scrape": "true",
      },
      [{ name: "http-metrics", port: 8080, protocol: "TCP", targetPort: 8080 }],
    ),
    service(OATHKEEPER_PROXY, componentLabels("proxy"), {}, [
      { name: "http", port: 4455, protocol: "TCP", targetPort: "http-proxy" },
      { name: "tcp-status-port", port: 15020, protocol: "TCP", targetPort: 15020 },
    ]),
  ];
}

function componentLabels(component: string): Record<string, string> {
  return { app: "oathkeeper", "app.kubernetes.io/component": component, ...OATHKEEPER_SELECTOR };
}

function service(
  name: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  ports: Array<{ name: string; port: number; protocol: "TCP"; targetPort: string | number }>,
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: managedMeta(name, KYMA_SYSTEM, { labels, annotations }),
    spec: { type: "ClusterIP", ports, selector: { ...OATHKEEPER_SELECTOR } },
  };
}
