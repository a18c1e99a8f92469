/**
 * AuthorizationPolicies of an APIRule v2 (docs/spec/apirule-v2.md §10): per rule, in rule order, ALLOW
 * policies for noAuth/jwt/extAuth restrictions and CUSTOM policies for extAuth authorizers.
 */
import type { JwtConfig } from "../../api/apirule/v2.ts";
import {
  type AuthorizationPolicy,
  type Operation,
  type PolicyRule,
  SECURITY_V1,
} from "../istio/types.ts";
import type { APIRuleContext, ResolvedRule } from "./context.ts";
import { HASH_LABEL, INDEX_LABEL, INGRESS_PRINCIPAL, ownerLabels } from "./labels.ts";
import { isCatchAll, policyPath } from "./paths.ts";
import { pathsOverlap } from "./paths_overlap.ts";
import { policyHash } from "./hash.ts";

const SCOPE_CLAIMS = ["scp", "scope", "scopes"] as const;

/** Every desired AuthorizationPolicy, labelled with its index and hash. */
export function authorizationPoliciesFor(context: APIRuleContext): AuthorizationPolicy[] {
  return context.rules.flatMap((resolved, index) => policiesForRule(context, resolved, index));
}

function policiesForRule(
  context: APIRuleContext,
  resolved: ResolvedRule,
  ruleIndex: number,
): AuthorizationPolicy[] {
  const { rule } = resolved;
  const to = operationsFor(context, ruleIndex).map((operation) => ({ operation }));
  const specs: Array<Omit<AuthorizationPolicy["spec"], "selector">> = [];
  if (rule.extAuth !== undefined) {
    for (const authorizer of rule.extAuth.authorizers) {
      specs.push({ action: "CUSTOM", provider: { name: authorizer }, rules: [{ to }] });
    }
    specs.push(
      ...(rule.extAuth.restrictions !== undefined
        ? jwtPolicies(rule.extAuth.restrictions, to)
        : [{ rules: [{ from: [ingressOnly()], to }] }]),
    );
  } else if (rule.jwt !== undefined) {
    specs.push(...jwtPolicies(rule.jwt, to));
  } else {
    specs.push({ rules: [{ from: [ingressOnly()], to }] });
  }
  return specs.map((spec, index) => {
    const selector = { matchLabels: { ...resolved.service.selector } };
    return {
      apiVersion: SECURITY_V1,
      kind: "AuthorizationPolicy",
      metadata: {
        generateName: `${context.name}-`,
        namespace: resolved.service.namespace,
        labels: {
          ...ownerLabels(context.name, context.namespace),
          [INDEX_LABEL]: String(index),
          [HASH_LABEL]: policyHash(
            resolved.service.namespace,
            selector.matchLabels,
            to[0]!.operation,
          ),
        },
      },
      spec: { selector, ...spec },
    };
  });
}

/**
 * The `to` operations of rule `index`. `notPaths` excludes the paths of earlier rules that share
 * a method, so a policy never authorizes what routing sends to an earlier rule. Upstream stops
 * scanning at the first rule with the same path and never excludes `/` (defect D1); here every
 * earlier rule counts. The first operation has upstream's shape (all methods, every excluded
 * path). Because that exclusion ignores methods, it would also refuse methods that routing does
 * send to this rule; each such group of methods gets its own operation without the paths that
 * do not concern it.
 */
function operationsFor(context: APIRuleContext, index: number): Operation[] {
  const current = context.rules[index]!.rule;
  const earlier = context.rules.slice(0, index).map((r) => r.rule).filter((rule) =>
    !isCatchAll(rule.path) && rule.path !== current.path
  );
  const excludedFor = (method: string) => [
    ...new Set(earlier.filter((r) => r.methods.includes(method as never)).map((r) => r.path)),
  ];
  // In rule order, as upstream lists them.
  const all = [
    ...new Set(
      earlier.filter((r) => r.methods.some((m) => current.methods.includes(m))).map((r) => r.path),
    ),
  ];
  const base = {
    hosts: [...context.hosts],
    paths: [policyPath(current.path)],
  };
  const operations: Operation[] = [{
    ...base,
    methods: [...current.methods],
    ...(all.length > 0 ? { notPaths: all } : {}),
  }];
  const groups = new Map<string, { methods: string[]; notPaths: string[] }>();
  for (const method of current.methods) {
    const own = excludedFor(method);
    const wronglyExcluded = all.filter((p) => !own.includes(p) && pathsOverlap(p, current.path));
    if (wronglyExcluded.length === 0) continue;
    const key = own.join("\n");
    const group = groups.get(key) ?? { methods: [], notPaths: own };
    group.methods.push(method);
    groups.set(key, group);
  }
  for (const group of groups.values()) {
    operations.push({
      ...base,
      methods: group.methods,
      ...(group.notPaths.length > 0 ? { notPaths: group.notPaths } : {}),
    });
  }
  return operations;
}

function ingressOnly(): NonNullable<PolicyRule["from"]>[number] {
  return { source: { principals: [INGRESS_PRINCIPAL] } };
}

function jwtPolicies(
  jwt: JwtConfig,
  to: PolicyRule["to"],
): Array<Omit<AuthorizationPolicy["spec"], "selector">> {
  const from = [{
    source: {
      requestPrincipals: (jwt.authentications ?? []).map((a) => `${a.issuer}/*`),
      principals: [INGRESS_PRINCIPAL],
    },
  }];
  const authorizations = jwt.authorizations ?? [];
  if (authorizations.length === 0) return [{ rules: [{ from, to }] }];
  return authorizations.map((authorization) => {
    const audiences = (authorization.audiences ?? []).map((aud) => ({
      key: "request.auth.claims[aud]",
      values: [aud],
    }));
    const scopes = authorization.requiredScopes ?? [];
    if (scopes.length === 0) {
      return { rules: [{ from, to, ...(audiences.length > 0 ? { when: audiences } : {}) }] };
    }
    return {
      rules: SCOPE_CLAIMS.map((claim) => ({
        from,
        to,
        when: [
          ...scopes.map((scope) => ({ key: `request.auth.claims[${claim}]`, values: [scope] })),
          ...audiences,
        ],
      })),
    };
  });
}
