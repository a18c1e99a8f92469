/**
 * extAuth checks of APIRule v2 (docs/spec/apirule-v2.md §13.4): every authorizer must be an
 * `envoyExtAuthzHttp` extension provider of the Istio mesh config (ConfigMap
 * `istio-system/istio`, key `mesh`; https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/).
 */
import { parse } from "yaml";
import type { ValidationFacts } from "./facts.ts";
import { type Checked, failed, passed, skipped } from "./failure.ts";
import { isRecord } from "./_guards.ts";

/** E1–E5 for one rule; `rulePath` is `.spec.rules[i]`. */
export function extAuthFailures(
  rulePath: string,
  authorizers: readonly string[],
  facts: ValidationFacts,
): Checked {
  const configMap = facts.istioMeshConfigMap;
  if (configMap === undefined) {
    return skipped('extAuth checks skipped: no ConfigMap "istio-system/istio" in the input');
  }
  if (configMap === null) {
    return failed({
      attributePath: `${rulePath}.extAuth`,
      message: "Failed to get Istio ConfigMap",
    });
  }
  const path = `${rulePath}.extAuth.externalAuthorizers`;
  const mesh = configMap.data["mesh"];
  if (mesh === undefined) {
    return failed({ attributePath: path, message: "Istio ConfigMap does not contain mesh key" });
  }
  const providers = extensionProviders(mesh);
  if (providers === undefined) {
    return failed({ attributePath: path, message: "Failed to unmarshal mesh data" });
  }
  const out = passed();
  for (const authorizer of authorizers) {
    const provider = providers.find((p) => p.name === authorizer);
    if (provider === undefined) {
      out.failures.push({
        attributePath: `${path}.${authorizer}`,
        message: "Authorizer not found in Istio ConfigMap mesh data",
      });
    } else if (!provider.http) {
      out.failures.push({
        attributePath: `${path}.${authorizer}`,
        message: "EnvoyExtAuthzHttp not found in Istio ConfigMap mesh data for authorizer",
      });
    }
  }
  return out;
}

interface Provider {
  name: string;
  http: boolean;
}

/**
 * The extension providers of the mesh config, or undefined when it does not decode into
 * upstream's shape (`extensionProviders: [{name, envoyExtAuthzHttp}]`, other fields ignored).
 */
export function extensionProviders(mesh: string): Provider[] | undefined {
  let value: unknown;
  try {
    value = parse(mesh);
  } catch {
    return undefined;
  }
  if (value === null || value === undefined) return [];
  if (!isRecord(value)) return undefined;
  const list = value.extensionProviders;
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) return undefined;
  const providers: Provider[] = [];
  for (const item of list) {
    // A null entry decodes to an empty provider, as in Go.
    const entry = item ?? {};
    if (!isRecord(entry)) return undefined;
    const name = entry.name;
    if (typeof name === "object" && name !== null) return undefined;
    providers.push({
      name: name === null || name === undefined ? "" : String(name),
      http: entry.envoyExtAuthzHttp !== null && entry.envoyExtAuthzHttp !== undefined,
    });
  }
  return providers;
}
