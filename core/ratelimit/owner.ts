/**
 * The APIGateway CR that represents the module (apigateway.md §2): the oldest by
 * `metadata.creationTimestamp`, ties by name ([tightened]). The RateLimit controller reads its
 * `status.state`.
 */
import type { KubeObject } from "../../api/meta.ts";
import { compareNames, isRecord } from "./_json.ts";

/** The owner APIGateway among `gateways`, or undefined when there is none. */
export function oldestAPIGateway(gateways: readonly KubeObject[]): KubeObject | undefined {
  let oldest: KubeObject | undefined;
  for (const gateway of gateways) {
    if (oldest === undefined || compareAge(gateway, oldest) < 0) oldest = gateway;
  }
  return oldest;
}

/** The `status.state` of an APIGateway; `""` when it has none (Go's zero value). */
export function stateOf(gateway: KubeObject): string {
  const status = gateway.status;
  return isRecord(status) && typeof status.state === "string" ? status.state : "";
}

function compareAge(a: KubeObject, b: KubeObject): number {
  return createdAt(a) - createdAt(b) || compareNames(a.metadata.name ?? "", b.metadata.name ?? "");
}

// A CR without a creation time (offline input) has not been stored yet: it is the youngest.
function createdAt(object: KubeObject): number {
  const value: unknown = object.metadata.creationTimestamp;
  const time = typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? Number.MAX_VALUE : time;
}
