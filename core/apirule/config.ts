/**
 * The module configuration an APIRule reconcile reads: `jwtHandler` from the ConfigMap
 * `kyma-system/api-gateway-config`, key `api-gateway-config` (docs/spec/apirule-v2.md §4 step 1/11).
 */
import { parse } from "yaml";
import type { Snapshot } from "../snapshot.ts";
import { record, stringMap } from "../istio/read.ts";

/** `apigw`: v1beta1 rules are served by apigw's ext_authz service instead of Oathkeeper. */
export const JWT_HANDLERS = ["ory", "istio", "apigw"] as const;
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

/** The default name of apigw's extension provider (`apigw authz --provider-name`). */
export const DEFAULT_APIGW_PROVIDER = "apigw-authz";

/**
 * The extension provider `jwtHandler: apigw` policies name: field `apigwProvider` of the same
 * document, else `apigw-authz`.
 */
export function apigwProviderOf(snapshot: Snapshot): string {
  const configMap = snapshot.get("", "ConfigMap", "kyma-system", "api-gateway-config");
  const text = configMap === undefined
    ? undefined
    : stringMap(configMap.data)["api-gateway-config"];
  if (text === undefined) return DEFAULT_APIGW_PROVIDER;
  try {
    const value = record(parse(text))?.apigwProvider;
    return typeof value === "string" && value !== "" ? value : DEFAULT_APIGW_PROVIDER;
  } catch {
    return DEFAULT_APIGW_PROVIDER;
  }
}
