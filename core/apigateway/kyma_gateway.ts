/**
 * The Kyma Gateway objects (docs/spec/apigateway.md §7.3–§7.6): the Istio Gateway `kyma-system/kyma-gateway`
 * serving `*.<domain>`, its health VirtualService, and its TLS material — a Gardener Certificate
 * plus a DNSEntry to the ingress load balancer, or (local mode) a self-signed TLS Secret whose key
 * the operator generates at apply time.
 */
import type { KubeObject } from "../../api/meta.ts";
import { NETWORKING_V1 } from "../istio/types.ts";
import type { Result } from "../result.ts";
import type { Snapshot } from "../snapshot.ts";
import {
  DISCLAIMER,
  DISCLAIMER_ANNOTATION,
  ISTIO_SYSTEM,
  KYMA_SYSTEM,
  managedMeta,
  operatorLabels,
  reference,
} from "./_meta.ts";
import { CERTIFICATE_CRD, clusterDomain, DNSENTRY_CRD, isGardener } from "./environment.ts";
import type { GeneratedSecret } from "./generated.ts";
import { type IngressAddresses, ingressAddresses } from "./ingress.ts";

export const KYMA_GATEWAY = "kyma-gateway";
export const KYMA_GATEWAY_REF = `${KYMA_SYSTEM}/${KYMA_GATEWAY}`;
export const GATEWAY_CERTS_SECRET = "kyma-gateway-certs";
export const HEALTH_VIRTUAL_SERVICE = "istio-healthz";
const CERTIFICATE = "kyma-tls-cert";
const DNSENTRY_V1ALPHA1 = "dns.gardener.cloud/v1alpha1";
const CERTIFICATE_V1ALPHA1 = "cert.gardener.cloud/v1alpha1";

/** Obsolete UI ConfigMaps, deleted on every Kyma Gateway pass (§12). */
const OBSOLETE_CONFIG_MAPS = [
  "api-gateway-apirule-v1beta1-ui.operator.kyma-project.io",
  "api-gateway-apirule-v2alpha1-ui.operator.kyma-project.io",
];

export interface KymaGatewayObjects {
  /** In apply order (§7.2): DNSEntry and Certificate, or the TLS Secret; VirtualService; Gateway. */
  apply: KubeObject[];
  /** Objects of the other environment branch and obsolete ConfigMaps. */
  delete: KubeObject[];
  generate: GeneratedSecret[];
}

/**
 * The desired Kyma Gateway objects for the cluster's domain and environment, or why they cannot
 * be built (Gardener mode needs the ingress load balancer's address for the DNSEntry).
 */
export function kymaGatewayObjects(
  snapshot: Snapshot,
  options: { version: string },
): Result<KymaGatewayObjects, string> {
  const domain = clusterDomain(snapshot);
  const labels = operatorLabels(options.version);
  const common = [healthVirtualService(domain, labels), gateway(domain, labels)];
  const obsolete = obsoleteConfigMaps();
  if (!isGardener(snapshot, domain)) {
    return {
      ok: true,
      value: {
        apply: [tlsSecret(labels), ...common],
        // Switching from Gardener to local mode leaves nothing of the Gardener branch behind
        // (§15 weak spot 11). The Secret is not deleted the other way round: the Certificate
        // writes to the same Secret.
        delete: [...gardenerReferences(snapshot), ...obsolete],
        generate: [{
          namespace: ISTIO_SYSTEM,
          name: GATEWAY_CERTS_SECRET,
          material: { kind: "SelfSignedTLS", dnsNames: [`*.${domain}`] },
        }],
      },
    };
  }
  const ingress = ingressAddresses(snapshot);
  if (!ingress.ok) return ingress;
  return {
    ok: true,
    value: {
      apply: [dnsEntry(domain, ingress.value, labels), certificate(domain, labels), ...common],
      delete: obsolete,
      generate: [],
    },
  };
}

/** Every Kyma Gateway object of both environments, to delete when the gateway is removed. */
export function kymaGatewayReferences(snapshot: Snapshot): KubeObject[] {
  return [
    ...gardenerReferences(snapshot),
    reference("v1", "Secret", ISTIO_SYSTEM, GATEWAY_CERTS_SECRET),
    reference(NETWORKING_V1, "VirtualService", ISTIO_SYSTEM, HEALTH_VIRTUAL_SERVICE),
    ...obsoleteConfigMaps(),
    reference(NETWORKING_V1, "Gateway", KYMA_SYSTEM, KYMA_GATEWAY),
  ];
}

function gardenerReferences(snapshot: Snapshot): KubeObject[] {
  return [
    ...(snapshot.hasCRD(DNSENTRY_CRD)
      ? [reference(DNSENTRY_V1ALPHA1, "DNSEntry", KYMA_SYSTEM, KYMA_GATEWAY)]
      : []),
    ...(snapshot.hasCRD(CERTIFICATE_CRD)
      ? [reference(CERTIFICATE_V1ALPHA1, "Certificate", ISTIO_SYSTEM, CERTIFICATE)]
      : []),
  ];
}

function obsoleteConfigMaps(): KubeObject[] {
  return OBSOLETE_CONFIG_MAPS.map((name) => reference("v1", "ConfigMap", KYMA_SYSTEM, name));
}

function gateway(domain: string, labels: Record<string, string>): KubeObject {
  const hosts = [`*.${domain}`];
  return {
    apiVersion: NETWORKING_V1,
    kind: "Gateway",
    metadata: managedMeta(KYMA_GATEWAY, KYMA_SYSTEM, { labels }),
    spec: {
      selector: { app: "istio-ingressgateway", istio: "ingressgateway" },
      servers: [
        {
          port: { number: 443, name: "https", protocol: "HTTPS" },
          tls: { mode: "SIMPLE", credentialName: GATEWAY_CERTS_SECRET },
          hosts,
        },
        {
          port: { number: 80, name: "http", protocol: "HTTP" },
          tls: { httpsRedirect: true },
          hosts: [...hosts],
        },
      ],
    },
  };
}

function healthVirtualService(domain: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: NETWORKING_V1,
    kind: "VirtualService",
    metadata: managedMeta(HEALTH_VIRTUAL_SERVICE, ISTIO_SYSTEM, { labels }),
    spec: {
      hosts: [`healthz.${domain}`],
      gateways: [KYMA_GATEWAY_REF],
      http: [{
        match: [{ uri: { exact: "/healthz/ready" } }],
        route: [{
          destination: {
            host: "istio-ingressgateway.istio-system.svc.cluster.local",
            port: { number: 15021 },
          },
        }],
      }],
    },
  };
}

/** The local-mode Secret: metadata and type only; its key pair is generated at apply time. */
function tlsSecret(labels: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: managedMeta(GATEWAY_CERTS_SECRET, ISTIO_SYSTEM, { labels }),
    type: "Opaque",
  };
}

function certificate(domain: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: CERTIFICATE_V1ALPHA1,
    kind: "Certificate",
    metadata: managedMeta(CERTIFICATE, ISTIO_SYSTEM, { labels }),
    spec: {
      commonName: `*.${domain}`,
      secretName: GATEWAY_CERTS_SECRET,
      issuerRef: { name: "garden" },
      privateKey: { size: 4096 },
      secretLabels: { ...labels },
    },
  };
}

function dnsEntry(
  domain: string,
  ingress: IngressAddresses,
  labels: Record<string, string>,
): KubeObject {
  const annotations: Record<string, string> = {
    "dns.gardener.cloud/class": "garden",
    [DISCLAIMER_ANNOTATION]: DISCLAIMER,
  };
  if (ingress.stack !== "ipv4") annotations["dns.gardener.cloud/ip-stack"] = ingress.stack;
  return {
    apiVersion: DNSENTRY_V1ALPHA1,
    kind: "DNSEntry",
    metadata: managedMeta(KYMA_GATEWAY, KYMA_SYSTEM, { labels, annotations }),
    spec: { dnsName: `*.${domain}`, ttl: 600, targets: ingress.targets },
  };
}
