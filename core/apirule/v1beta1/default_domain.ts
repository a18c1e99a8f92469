/**
 * The default domain of v1beta1 short hosts (docs/spec/apirule-v1beta1.md §6.1): from the single HTTPS
 * server of Gateway `kyma-system/kyma-gateway`, whose one host is `*.<domain>`.
 */
import type { Snapshot } from "../../snapshot.ts";
import { readGateway } from "../../istio/read.ts";

export type DefaultDomain =
  | { kind: "none" }
  | { kind: "domain"; domain: string }
  | { kind: "misconfigured"; reason: string };

/** Reads the default domain; a misconfigured gateway is reported, not thrown. */
export function defaultDomain(snapshot: Snapshot): DefaultDomain {
  const object = snapshot.get("networking.istio.io", "Gateway", "kyma-system", "kyma-gateway");
  if (object === undefined) return { kind: "none" };
  const https = (readGateway(object).spec?.servers ?? []).filter((s) =>
    s.port?.protocol?.toUpperCase() === "HTTPS"
  );
  if (https.length !== 1) {
    return {
      kind: "misconfigured",
      reason: "Gateway kyma-system/kyma-gateway must have exactly one HTTPS server",
    };
  }
  const hosts = https[0]!.hosts ?? [];
  const host = hosts[0];
  if (hosts.length !== 1 || host === undefined || !host.startsWith("*.") || host.length <= 2) {
    return {
      kind: "misconfigured",
      reason:
        "the HTTPS server of Gateway kyma-system/kyma-gateway must have exactly one host of the form *.<domain>",
    };
  }
  return { kind: "domain", domain: host.slice(2) };
}
