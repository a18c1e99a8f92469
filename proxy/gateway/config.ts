/**
 * The gateway config of one folder snapshot, compiled off the request path: APIRules of every
 * version (v1beta1 and v2alpha1 converted to v2 as the conversion webhook does) go through the
 * same policy index `apigw authz` uses; each matched rule gets a route (upstream from an
 * ExternalName Service, timeout, CORS, request headers, rate limits). An APIRule whose Service is
 * missing is reported and not served.
 */
import { APIRULE_V2 } from "../../api/kinds.ts";
import { parseAPIRuleV2 } from "../../api/parse.ts";
import type { APIRuleSpec } from "../../api/apirule/v2.ts";
import { convertAPIRule } from "../../api/conversion/mod.ts";
import { DEFAULT_TIMEOUT_SECONDS } from "../../core/apirule/labels.ts";
import { compilePolicyIndex, type PolicyIndex } from "../../core/authz/policy_index.ts";
import type { CompiledRule } from "../../core/authz/rule.ts";
import { isRecord } from "../../core/ratelimit/_json.ts";
import {
  type CompiledGlobalLimits,
  compileGlobalLimits,
  type GlobalLimit,
} from "../../core/ratelimit/global.ts";
import type { ConfigProblem } from "../config_problem.ts";
import { compileCors, type Cors } from "./cors.ts";
import type { LocalLimit } from "../ratelimit/local.ts";
import { guarded } from "./_guarded.ts";
import { invalidHeader, requestHeaders } from "./request_headers.ts";
import { readRateLimits, selects } from "./route_limits.ts";
import { readServices, type ServiceEntry, type Upstream, upstreamOf } from "./services.ts";

/** One served rule: what routing matched and where and how it is forwarded. */
export interface Route {
  rule: CompiledRule;
  upstream: Upstream;
  timeoutMs: number;
  cors: Cors | undefined;
  /** Headers set on the upstream request (lower-case names), `x-forwarded-host` apart. */
  setHeaders: readonly (readonly [string, string])[];
  /** The rendered `x-forwarded-host`; undefined for a wildcard host (the request authority). */
  forwardedHost: string | undefined;
  limits: readonly LocalLimit[];
}

export interface GatewayConfig {
  index: PolicyIndex;
  /**
   * The `spec.global` limits of each route's workload, keyed by rule id: the embedded gateway
   * hands the rule id to the shared global limiter where `apigw authz` hands the Pod address.
   */
  globalLimits: CompiledGlobalLimits;
  /** By rule id. */
  routes: ReadonlyMap<string, Route>;
}

export type { ConfigProblem };

export interface CompiledGateway {
  config: GatewayConfig;
  problems: ConfigProblem[];
  /** Served, but not as in a mesh (extAuth rules without an authorizer here). */
  warnings: ConfigProblem[];
}

interface Served {
  spec: APIRuleSpec;
  namespace: string;
  upstreams: Upstream[];
  cors: Cors | undefined;
}

/** Compiles a snapshot's objects; `providerName` is the extAuth authorizer served in-process. */
export function compileGateway(
  objects: readonly unknown[],
  options: { providerName: string },
): CompiledGateway {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const { services, problems: serviceProblems } = readServices(objects);
  problems.push(...serviceProblems);
  const served = new Map<string, Served>();
  const indexInput: unknown[] = [];
  for (const object of objects) {
    if (!isRecord(object)) continue;
    // Services are resolved here; the index would run Istio's sidecar checks on them.
    if (object.kind === "Service" && object.apiVersion === "v1") continue;
    if (object.kind !== "APIRule") {
      indexInput.push(object);
      continue;
    }
    const v2 = asV2(object);
    if (!v2.ok) {
      problems.push(v2.error);
      continue;
    }
    const checked = guarded(object, () => checkServices(v2.value, services));
    if (checked === undefined) indexInput.push(v2.value);
    else if ("reason" in checked) problems.push(checked);
    else {
      served.set(checked.key, checked.served);
      indexInput.push(v2.value);
    }
  }
  const compiled = compilePolicyIndex(indexInput, options);
  for (const p of compiled.problems) problems.push({ object: p.object, reason: p.message });
  const policies = readRateLimits(objects, problems);
  const global = compileGlobalLimits(objects);
  for (const p of global.problems) {
    // A RateLimit that does not parse is already reported by readRateLimits.
    if (!problems.some((q) => q.object === p.object && q.reason === p.message)) {
      problems.push({ object: p.object, reason: p.message });
    }
  }
  const globalByRule = new Map<string, GlobalLimit[]>();
  const routes = new Map<string, Route>();
  for (const [host, rules] of compiled.index.hosts) {
    for (const rule of rules) {
      const apiRule = served.get(`${rule.apiRule.namespace}/${rule.apiRule.name}`);
      const spec = apiRule?.spec.rules[rule.index];
      if (apiRule === undefined || spec === undefined || routes.has(rule.id)) continue;
      if (rule.auth.kind === "extAuth" && !rule.auth.served) {
        warnings.push({
          object: `APIRule ${rule.apiRule.namespace}/${rule.apiRule.name}`,
          field: `spec.rules[${rule.index}].extAuth`,
          reason: "no external authorizer runs in the embedded gateway: answered with 403",
        });
      }
      const upstream = apiRule.upstreams[rule.index]!;
      const service = services.get(upstream.service.replace(/:\d+$/, ""));
      routes.set(rule.id, {
        rule,
        upstream,
        timeoutMs: (spec.timeout ?? apiRule.spec.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
        cors: apiRule.cors,
        setHeaders: requestHeaders(spec),
        forwardedHost: host.startsWith("*.") ? undefined : host,
        limits: policies.filter((p) => selects(p, service)).map((p) => p.policy),
      });
      const limits = global.limits.filter((limit) => selects(limit, service));
      if (limits.length > 0) globalByRule.set(rule.id, limits);
    }
  }
  return {
    config: {
      index: compiled.index,
      globalLimits: { limits: global.limits, byAddress: globalByRule, problems: [] },
      routes,
    },
    problems,
    warnings,
  };
}

function asV2(object: Record<string, unknown>): { ok: true; value: unknown } | {
  ok: false;
  error: ConfigProblem;
} {
  if (object.apiVersion === APIRULE_V2) return { ok: true, value: object };
  const converted = convertAPIRule(object, APIRULE_V2);
  const meta = isRecord(object.metadata) ? object.metadata : {};
  const label = `APIRule ${meta.namespace ?? "default"}/${meta.name ?? "(unnamed)"}`;
  if (!converted.ok) {
    return {
      ok: false,
      error: {
        object: label,
        field: "apiVersion",
        reason: `Cannot convert to ${APIRULE_V2}: ${converted.error.message}`,
      },
    };
  }
  const spec = converted.value.spec;
  // docs/spec/conversion.md §3: the hub gets rules only when every v1beta1 rule is expressible in v2.
  if (isRecord(spec) && !Array.isArray(spec.rules)) {
    return {
      ok: false,
      error: {
        object: label,
        field: "spec.rules",
        reason: "Rules are not expressible in v2 (regex paths, or handlers other than no_auth " +
          "and jwt), so they cannot be served",
      },
    };
  }
  return { ok: true, value: converted.value };
}

/** The upstream of every rule, or the first rule whose Service is missing. */
function checkServices(
  object: unknown,
  services: ReadonlyMap<string, ServiceEntry>,
): { key: string; served: Served } | ConfigProblem | undefined {
  const parsed = parseAPIRuleV2(object);
  // Unparseable objects are reported by the index with the validation's words.
  if (!parsed.ok || parsed.value.spec === undefined) return undefined;
  const { spec } = parsed.value;
  // `metadata` is the apiserver's, not the schema's: offline input may lack it.
  const metadata = parsed.value.metadata ?? {};
  const namespace = metadata.namespace ?? "default";
  const label = `APIRule ${namespace}/${metadata.name ?? ""}`;
  const upstreams: Upstream[] = [];
  for (const [i, rule] of spec.rules.entries()) {
    const ref = rule.service ?? spec.service;
    if (ref === undefined) return undefined;
    const upstream = upstreamOf(services, {
      namespace: ref.namespace ?? namespace,
      name: ref.name,
      port: ref.port,
    });
    if (!upstream.ok) {
      const field = rule.service !== undefined ? `spec.rules[${i}].service` : "spec.service";
      return { object: label, field, reason: `${upstream.error}: not served` };
    }
    upstreams.push(upstream.value);
  }
  for (const [i, rule] of spec.rules.entries()) {
    const bad = invalidHeader(rule);
    if (bad !== undefined) return { object: label, field: `spec.rules[${i}].request`, reason: bad };
  }
  const cors = compileCors(spec.corsPolicy);
  if (!cors.ok) return { object: label, ...cors.error };
  return {
    key: `${namespace}/${metadata.name ?? ""}`,
    served: { spec, namespace, upstreams, cors: cors.value },
  };
}
