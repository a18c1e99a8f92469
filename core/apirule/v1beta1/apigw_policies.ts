/**
 * `jwtHandler: apigw` (README "Retiring Oathkeeper"): the rules Oathkeeper would have secured are
 * checked by apigw's ext_authz service instead. One AuthorizationPolicy with `action: CUSTOM`
 * per APIRule, naming apigw's extension provider, applies to the ingress gateway the APIRule's
 * Gateway selects, so enforcement does not depend on sidecars in the backend (Oathkeeper needed
 * none either). It sits in the Istio root namespace, where a selector reaches the gateway pods
 * whatever namespace they run in. Each served rule is one policy rule on the effective host and
 * the rule's methods; its paths are listed only where the v1beta1 regex has an exact Istio form,
 * else the rule covers the whole host: a check more than needed is harmless, apigw decides each
 * request by the same rules.
 */
import type { RuleV1beta1 } from "../../../api/apirule/v1beta1.ts";
import type { KubeObject } from "../../../api/meta.ts";
import { type AuthorizationPolicy, type Operation, SECURITY_V1 } from "../../istio/types.ts";
import { readSelector } from "../../istio/read.ts";
import type { Snapshot } from "../../snapshot.ts";
import { policyHash } from "../hash.ts";
import { HASH_LABEL, INDEX_LABEL, ownerLabels } from "../labels.ts";
import type { V1beta1Context } from "./context.ts";
import { securedByOathkeeper } from "./handlers.ts";

/** Istio's default root namespace: policies here with a selector apply mesh-wide. */
export const ISTIO_ROOT_NAMESPACE = "istio-system";

const REGEX_META = /[\\^$.|?*+()[\]{}]/;

/** The CUSTOM policy of a v1beta1 APIRule in apigw mode; none when no rule needs apigw. */
export function apigwPoliciesV1beta1(
  context: V1beta1Context,
  options: { provider: string; gatewaySelector: Readonly<Record<string, string>> },
): AuthorizationPolicy[] {
  const served = context.rules.filter(({ rule }) => securedByOathkeeper(rule));
  if (served.length === 0) return [];
  const hosts = [context.host, `${context.host}:*`];
  const rules = served.map(({ rule }) => ({ to: [{ operation: operationOf(rule, hosts) }] }));
  const selector = { ...options.gatewaySelector };
  return [{
    apiVersion: SECURITY_V1,
    kind: "AuthorizationPolicy",
    metadata: {
      generateName: `${context.name}-`,
      namespace: ISTIO_ROOT_NAMESPACE,
      labels: {
        ...ownerLabels(context.name, context.namespace),
        [INDEX_LABEL]: "0",
        [HASH_LABEL]: policyHash(ISTIO_ROOT_NAMESPACE, selector, { hosts, methods: [], paths: [] }),
      },
    },
    spec: {
      selector: { matchLabels: selector },
      action: "CUSTOM",
      provider: { name: options.provider },
      rules,
    },
  }];
}

function operationOf(rule: RuleV1beta1, hosts: string[]): Operation {
  // Without an exact Istio form the policy covers every path of the host.
  return { hosts, methods: [...rule.methods], paths: [istioPath(rule.path) ?? "/*"] };
}

/**
 * The Istio path of a v1beta1 path regex when one matches exactly the same paths: a literal path,
 * `/*` and `/.*` (everything), or a literal prefix followed by `/.*`.
 */
export function istioPath(path: string): string | undefined {
  if (path === "/*" || path === "/.*") return "/*";
  if (!REGEX_META.test(path)) return path;
  const prefix = path.endsWith("/.*") ? path.slice(0, -3) : undefined;
  if (prefix !== undefined && prefix !== "" && !REGEX_META.test(prefix)) return `${prefix}/*`;
  return undefined;
}

/**
 * The pod selector of the APIRule's Gateway (`namespace/name` or a legacy dotted name), or an
 * error naming what is missing.
 */
export function gatewaySelectorOf(
  gateway: string,
  namespace: string,
  snapshot: Snapshot,
): { ok: true; value: Record<string, string> } | { ok: false; error: string } {
  const [gatewayNamespace, name] = splitGateway(gateway, namespace);
  const object: KubeObject | undefined = snapshot.get(
    "networking.istio.io",
    "Gateway",
    gatewayNamespace,
    name,
  );
  // A Gateway's `spec.selector` has the shape of a Service's.
  const selector = object === undefined ? undefined : readSelector(object);
  if (selector === undefined || Object.keys(selector).length === 0) {
    return {
      ok: false,
      error:
        `Gateway ${gatewayNamespace}/${name} was not found or selects no pods: the jwtHandler apigw policy cannot be placed`,
    };
  }
  return { ok: true, value: { ...selector } };
}

function splitGateway(gateway: string, namespace: string): [string, string] {
  if (gateway.includes("/")) {
    const [ns, name] = gateway.split("/", 2);
    return [ns!, name!];
  }
  const parts = gateway.split(".");
  return parts.length === 1 ? [namespace, parts[0]!] : [parts[1]!, parts[0]!];
}
