/**
 * The module configuration an APIRule reconcile reads: `jwtHandler` from the ConfigMap
 * `kyma-system/api-gateway-config`, key `api-gateway-config` (apirule-v2.md §4 step 1/11).
 */
import { parse } from "yaml";
import type { Snapshot } from "../snapshot.ts";
import { record, stringMap } from "../istio/read.ts";

export const JWT_HANDLERS = ["ory", "istio"] as const;
export type JwtHandler = typeof JWT_HANDLERS[number];

/**
 * The configured JWT handler: `ory` when the ConfigMap, its key or the `jwtHandler` field is
 * missing (upstream then keeps whatever it read before, a value a stateless reconcile does not
 * have); an error for any other value or unparsable YAML.
 */
export function jwtHandlerOf(
  snapshot: Snapshot,
): { ok: true; value: JwtHandler } | { ok: false; error: string } {
  const configMap = snapshot.get("", "ConfigMap", "kyma-system", "api-gateway-config");
  if (configMap === undefined) return { ok: true, value: "ory" };
  const text = stringMap(configMap.data)["api-gateway-config"];
  if (text === undefined) return { ok: true, value: "ory" };
  let value: unknown;
  try {
    value = record(parse(text))?.jwtHandler ?? "ory";
  } catch {
    value = "";
  }
  const handler = JWT_HANDLERS.find((h) => h === value);
  return handler !== undefined
    ? { ok: true, value: handler }
    : { ok: false, error: `Unsupported JWT Handler: ${String(value)}` };
}
