/**
 * The cluster domain and the Gardener switch (docs/spec/apigateway.md §7.1): the domain comes from the
 * Gardener `kube-system/shoot-info` ConfigMap, and Gardener mode needs both Gardener CRDs too.
 */
import type { Snapshot } from "../snapshot.ts";
import { stringAt } from "./_read.ts";

/** The domain used when the cluster does not name one. */
export const LOCAL_DOMAIN = "local.kyma.dev";

export const DNSENTRY_CRD = "dnsentries.dns.gardener.cloud";
export const CERTIFICATE_CRD = "certificates.cert.gardener.cloud";

/** The module cluster domain: `shoot-info`'s non-empty `domain`, else `local.kyma.dev`. */
export function clusterDomain(snapshot: Snapshot): string {
  const shootInfo = snapshot.get("", "ConfigMap", "kube-system", "shoot-info");
  const domain = stringAt(shootInfo, "data", "domain");
  return domain === undefined || domain === "" ? LOCAL_DOMAIN : domain;
}

/**
 * Tells whether the Kyma Gateway uses Gardener DNSEntry and Certificate objects: both CRDs exist
 * and the domain is not the local one. Otherwise local mode applies, even with a shoot domain.
 */
export function isGardener(snapshot: Snapshot, domain: string): boolean {
  return snapshot.hasCRD(DNSENTRY_CRD) && snapshot.hasCRD(CERTIFICATE_CRD) &&
    domain !== LOCAL_DOMAIN;
}
