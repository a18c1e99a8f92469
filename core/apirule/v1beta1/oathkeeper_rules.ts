/**
 * Oathkeeper `Rule` objects of a v1beta1 APIRule (docs/spec/apirule-v1beta1.md §7.6): one per rule that
 * Oathkeeper secures (in istio mode only for `noop` and `oauth2_introspection`).
 */
import type { Handler } from "../../../api/apirule/v1beta1.ts";
import type { KubeObject } from "../../../api/meta.ts";
import { ownerLabels } from "../labels.ts";
import type { V1beta1Context } from "./context.ts";
import { securedByOathkeeper } from "./handlers.ts";

export const OATHKEEPER_RULE_API = "oathkeeper.ory.sh/v1alpha1";
const ISTIO_MODE_AUTHENTICATORS = new Set(["noop", "oauth2_introspection"]);

/** The desired Rules, each with the key it is matched by against existing ones. */
export function oathkeeperRulesFor(
  context: V1beta1Context,
): Array<{ key: string; rule: KubeObject }> {
  const paths = context.rules.map(({ rule }) => rule.path);
  const duplicated = new Set(paths.filter((p, i) => paths.indexOf(p) !== i));
  if (context.mode === "apigw") return [];
  return context.rules.flatMap(({ rule, backend }) => {
    if (!securedByOathkeeper(rule)) return [];
    const authenticators = context.mode === "istio"
      ? rule.accessStrategies.filter((s) => ISTIO_MODE_AUTHENTICATORS.has(s.handler))
      : rule.accessStrategies;
    if (authenticators.length === 0) return [];
    const url = `<http|https>://${context.host}<${rule.path}>`;
    return [{
      key: ruleKey(url, rule.methods, duplicated.has(rule.path)),
      rule: {
        apiVersion: OATHKEEPER_RULE_API,
        kind: "Rule",
        metadata: {
          generateName: `${context.name}-`,
          namespace: context.namespace,
          labels: ownerLabels(context.name, context.namespace),
        },
        spec: {
          upstream: {
            url: `http://${backend.name}.${backend.namespace}.svc.cluster.local:${backend.port}`,
          },
          match: { url, methods: [...rule.methods] },
          authenticators: authenticators.map(handlerOf),
          authorizer: { handler: "allow" },
          ...(rule.mutators !== undefined && rule.mutators.length > 0
            ? { mutators: rule.mutators.map(handlerOf) }
            : {}),
        },
      },
    }];
  });
}

/** A Rule's identity: its match URL, plus the methods when the APIRule repeats the path. */
export function ruleKey(url: string, methods: readonly string[], duplicatedPath: boolean): string {
  return duplicatedPath ? `${url}:${methods.join(",")}` : url;
}

function handlerOf(handler: Handler): Handler {
  const config = handler.config;
  return config !== undefined && config !== null
    ? { handler: handler.handler, config: structuredClone(config) }
    : { handler: handler.handler };
}
