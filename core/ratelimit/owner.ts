/**
 * The APIGateway CR that represents the module (docs/spec/apigateway.md §2): the oldest by
 * `metadata.creationTimestamp`, ties by name ([tightened]). The RateLimit controller reads its
 * `status.state`.
 */
import type { KubeObject } from "../../api/meta.ts";
import { isRecord } from "./_json.ts";

export { oldestAPIGateway } from "../apigateway/singleton.ts";

/** The `status.state` of an APIGateway; `""` when it has none (Go's zero value). */
export function stateOf(gateway: KubeObject): string {
  const status = gateway.status;
  return isRecord(status) && typeof status.state === "string" ? status.state : "";
}
