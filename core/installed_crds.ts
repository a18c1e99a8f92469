/**
 * The CRDs `render` imagines installed (conformance README): apigw's own, and every CRD of the
 * shared fixtures (Istio, Gardener Certificate and DNSEntry, Oathkeeper Rule).
 */
export const ISTIO_CRDS = [
  "destinationrules.networking.istio.io",
  "envoyfilters.networking.istio.io",
  "gateways.networking.istio.io",
  "proxyconfigs.networking.istio.io",
  "serviceentries.networking.istio.io",
  "sidecars.networking.istio.io",
  "virtualservices.networking.istio.io",
  "workloadentries.networking.istio.io",
  "workloadgroups.networking.istio.io",
  "authorizationpolicies.security.istio.io",
  "peerauthentications.security.istio.io",
  "requestauthentications.security.istio.io",
  "wasmplugins.extensions.istio.io",
  "telemetries.telemetry.istio.io",
] as const;

export const OFFLINE_CRDS: ReadonlySet<string> = new Set([
  ...ISTIO_CRDS,
  "certificates.cert.gardener.cloud",
  "dnsentries.dns.gardener.cloud",
  "rules.oathkeeper.ory.sh",
  "apirules.gateway.kyma-project.io",
  "ratelimits.gateway.kyma-project.io",
  "apigateways.operator.kyma-project.io",
]);
