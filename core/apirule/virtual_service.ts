/**
 * The one VirtualService of an APIRule v2 (docs/spec/apirule-v2.md §9): one HTTP route per rule, in rule
 * order, so earlier rules win.
 */
import type { CorsPolicy as APIRuleCors } from "../../api/apirule/v2.ts";
import {
  type CorsPolicy,
  type HTTPRoute,
  NETWORKING_V1,
  type StringMatch,
  type VirtualService,
} from "../istio/types.ts";
import type { APIRuleContext, ResolvedRule } from "./context.ts";
import { forwardedHost } from "./hosts.ts";
import { DEFAULT_TIMEOUT_SECONDS, ownerLabels } from "./labels.ts";
import { uriMatch } from "./paths.ts";

/** Workload CORS headers are always stripped: only the gateway's own CORS handling adds them. */
export const CORS_RESPONSE_HEADERS = [
  "Access-Control-Allow-Origin",
  "Access-Control-Expose-Headers",
  "Access-Control-Allow-Headers",
  "Access-Control-Allow-Credentials",
  "Access-Control-Allow-Methods",
  "Access-Control-Max-Age",
];

/** The desired VirtualService (with `generateName`; the planner keeps an existing name). */
export function virtualServiceFor(context: APIRuleContext): VirtualService {
  const cors = corsPolicyFor(context.corsPolicy);
  return {
    apiVersion: NETWORKING_V1,
    kind: "VirtualService",
    metadata: {
      generateName: `${context.name}-`,
      namespace: context.namespace,
      labels: ownerLabels(context.name, context.namespace),
    },
    spec: {
      hosts: [...context.hosts],
      gateways: [context.gateway],
      http: context.rules.map((resolved) => routeFor(resolved, context, cors)),
    },
  };
}

function routeFor(
  { rule, service }: ResolvedRule,
  context: APIRuleContext,
  cors: CorsPolicy | undefined,
): HTTPRoute {
  const set: Record<string, string> = { "x-forwarded-host": forwardedHost(context.hosts) };
  for (const [name, value] of Object.entries(rule.request?.headers ?? {})) set[name] = value;
  const cookies = Object.entries(rule.request?.cookies ?? {});
  if (cookies.length > 0) {
    // Sorted by name: upstream iterates a Go map here, so its order is random (D9).
    set["Cookie"] = cookies.sort(([a], [b]) => compare(a, b)).map(([k, v]) => `${k}=${v}`).join(
      "; ",
    );
  }
  const timeout = rule.timeout ?? context.timeout ?? DEFAULT_TIMEOUT_SECONDS;
  return {
    match: [{ uri: uriMatch(rule.path), method: { regex: `^(${rule.methods.join("|")})$` } }],
    route: [{
      destination: {
        host: `${service.name}.${service.namespace}.svc.cluster.local`,
        port: { number: service.port },
      },
      weight: 100,
    }],
    timeout: `${timeout}s`,
    ...(cors !== undefined ? { corsPolicy: cors } : {}),
    headers: { request: { set }, response: { remove: [...CORS_RESPONSE_HEADERS] } },
  };
}

/** The Istio CORS policy, or none when `allowOrigins` is missing or empty (quirk Q1). */
export function corsPolicyFor(policy: APIRuleCors | undefined): CorsPolicy | undefined {
  if (policy === undefined || (policy.allowOrigins ?? []).length === 0) return undefined;
  const origins: StringMatch[] = [];
  for (const entry of policy.allowOrigins ?? []) {
    // Sorted by key for determinism (D9); unknown keys match as prefix (quirk Q2).
    for (const [key, value] of Object.entries(entry).sort(([a], [b]) => compare(a, b))) {
      origins.push(
        key === "exact" ? { exact: value } : key === "regex" ? { regex: value } : { prefix: value },
      );
    }
  }
  return {
    allowOrigins: origins,
    ...nonEmpty("allowMethods", policy.allowMethods),
    ...nonEmpty("allowHeaders", policy.allowHeaders),
    ...nonEmpty("exposeHeaders", policy.exposeHeaders),
    ...(policy.allowCredentials !== undefined ? { allowCredentials: policy.allowCredentials } : {}),
    ...(policy.maxAge !== undefined ? { maxAge: `${policy.maxAge}s` } : {}),
  };
}

function nonEmpty<K extends string>(key: K, list: string[] | undefined): { [P in K]?: string[] } {
  return list !== undefined && list.length > 0
    ? ({ [key]: [...list] } as { [P in K]?: string[] })
    : {};
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
