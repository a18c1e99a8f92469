/**
 * The policy index: the APIRules of a snapshot (a folder or the cluster) compiled into
 * host → ordered rules, so a request is matched with one map lookup and a short scan.
 * Invalid objects are reported and skipped; the caller keeps the last good index.
 */
import { parseAPIRuleV2 } from "../../api/parse.ts";
import { factsFromObjects, validateObject } from "../../api/validation/mod.ts";
import { discoverGateway } from "../../api/validation/gateway.ts";
import { gatewayDomain, resolveHosts } from "../apirule/hosts.ts";
import type { CanonicalRequest } from "./canonical.ts";
import { type CompiledRule, compileRule } from "./rule.ts";
import { compileAPIRuleV1beta1, isV1beta1APIRule } from "./oathkeeper/compile.ts";
import type { HandlerDefaults } from "./oathkeeper/strategies.ts";
import { defaultDomainOf } from "./oathkeeper/default_domain.ts";

/** Why an object of the snapshot is not (fully) in the index. */
export interface IndexProblem {
  /** `APIRule namespace/name`, or where the object came from. */
  object: string;
  message: string;
}

/** An immutable, compiled snapshot of the rules. */
export interface PolicyIndex {
  /** The rule routing would pick for the request, or undefined. */
  match(request: Pick<CanonicalRequest, "host" | "method" | "path">): CompiledRule | undefined;
  /** Every rule, by host, in match order (for explain and metrics). */
  readonly hosts: ReadonlyMap<string, readonly CompiledRule[]>;
  readonly ruleCount: number;
  /** Every distinct JWKS URI the rules use, so keys can be fetched before the first request. */
  readonly jwksUris: readonly string[];
}

export interface CompiledIndex {
  index: PolicyIndex;
  problems: IndexProblem[];
}

const APIRULE_GROUP = "gateway.kyma-project.io";
const V2_VERSIONS = ["gateway.kyma-project.io/v2", "gateway.kyma-project.io/v2alpha1"];
const MAX_LISTED = 3;

/**
 * Compiles every APIRule v2/v2alpha1 in `objects`; the other objects are the facts validation
 * and short-host resolution read (Gateways, Services, the mesh ConfigMap).
 *
 * APIRules are taken oldest first (creationTimestamp, then namespace/name), so when two claim
 * the same host the older one keeps it, as upstream's host-occupied check decides.
 */
export function compilePolicyIndex(
  objects: readonly unknown[],
  options: { providerName: string; handlerDefaults?: HandlerDefaults },
): CompiledIndex {
  const facts = factsFromObjects(objects, { complete: false });
  const problems: IndexProblem[] = [];
  const byHost = new Map<string, CompiledRule[]>();
  const owner = new Map<string, string>();
  const domain = defaultDomainOf(objects);
  for (const object of apiRulesOldestFirst(objects)) {
    const label = `APIRule ${keyOf(object)}`;
    try {
      if (isV1beta1APIRule(object)) {
        // v1beta1 rules are Oathkeeper access rules, served here under `jwtHandler: apigw`.
        const compiled = compileAPIRuleV1beta1(object, {
          domain,
          ...(options.handlerDefaults !== undefined ? { defaults: options.handlerDefaults } : {}),
        });
        if (!compiled.ok) {
          problems.push({ object: label, message: compiled.error });
          continue;
        }
        const host = compiled.value.host;
        const taken = owner.get(host);
        if (taken !== undefined) {
          problems.push({ object: label, message: `Host "${host}" is already served by ${taken}` });
          continue;
        }
        owner.set(host, label);
        byHost.set(host, compiled.value.rules);
        continue;
      }
      if (!V2_VERSIONS.includes(String(object.apiVersion))) {
        problems.push({
          object: label,
          message: `apiVersion "${object.apiVersion}" is not served`,
        });
        continue;
      }
      const errors = validateObject(object, facts).problems.filter((p) => p.severity === "error");
      if (errors.length > 0) {
        problems.push({ object: label, message: describe(errors) });
        continue;
      }
      const parsed = parseAPIRuleV2(object);
      if (!parsed.ok || parsed.value.spec === undefined) {
        problems.push({ object: label, message: "spec is missing" });
        continue;
      }
      const { spec, metadata } = parsed.value;
      const discovery = discoverGateway(spec, facts);
      const servers = discovery.ok && discovery.gateway?.state === "found"
        ? discovery.gateway.value.servers
        : [];
      const hosts = resolveHosts(spec.hosts, gatewayDomain(servers));
      if (!hosts.ok) {
        problems.push({ object: label, message: hosts.error });
        continue;
      }
      const namespace = metadata.namespace ?? "default";
      const name = metadata.name ?? "";
      const rules = spec.rules.map((rule, index) =>
        compileRule(rule, { namespace, name, index, providerName: options.providerName })
      );
      for (const host of hosts.value) {
        const taken = owner.get(host);
        if (taken !== undefined) {
          problems.push({ object: label, message: `Host "${host}" is already served by ${taken}` });
          continue;
        }
        owner.set(host, label);
        byHost.set(host, rules);
      }
    } catch (error) {
      // Compilers are total; a throw anyway (a shape validation let through) skips this one
      // object with a problem naming it instead of taking every other rule down.
      problems.push({
        object: label,
        message: `Cannot compile: unexpected shape (${errorText(error)})`,
      });
    }
  }
  return { index: policyIndex(byHost), problems };
}

/** An index over already compiled rules (tests, the embedded gateway). */
export function policyIndex(byHost: ReadonlyMap<string, readonly CompiledRule[]>): PolicyIndex {
  const exact = new Map(byHost);
  // Envoy picks exact domains first, then the longest wildcard suffix.
  const wildcards = [...byHost.entries()]
    .filter(([host]) => host.startsWith("*."))
    .map(([host, rules]) => ({ suffix: host.slice(1), rules }))
    .sort((a, b) => b.suffix.length - a.suffix.length);
  const all = [...new Set([...byHost.values()].flat())];
  const jwksUris = [
    ...new Set(all.flatMap((rule) => {
      const jwt = rule.auth.kind === "jwt"
        ? rule.auth.jwt
        : rule.auth.kind === "extAuth"
        ? rule.auth.restrictions
        : undefined;
      return (jwt?.authentications ?? []).flatMap((a) => a.jwksUri ?? []);
    })),
  ].sort();
  function rulesFor(host: string): readonly CompiledRule[] | undefined {
    const found = exact.get(host);
    if (found !== undefined && !host.startsWith("*.")) return found;
    for (const { suffix, rules } of wildcards) {
      if (host.length > suffix.length && host.endsWith(suffix)) return rules;
    }
    return undefined;
  }
  return {
    match(request) {
      const rules = rulesFor(request.host);
      if (rules === undefined) return undefined;
      for (const rule of rules) {
        if (rule.methods.includes(request.method) && rule.matchesPath(request.path)) return rule;
      }
      return undefined;
    },
    hosts: exact,
    ruleCount: all.length,
    jwksUris,
  };
}

/** An index with no rules: what serves until the first snapshot compiles. */
export const EMPTY_INDEX: PolicyIndex = policyIndex(new Map());

type ObjectRecord = Record<string, unknown> & { apiVersion?: unknown };

function apiRulesOldestFirst(objects: readonly unknown[]): ObjectRecord[] {
  const rules = objects.filter((o): o is ObjectRecord =>
    isRecord(o) && o.kind === "APIRule" &&
    typeof o.apiVersion === "string" && o.apiVersion.split("/")[0] === APIRULE_GROUP
  );
  const created = (o: ObjectRecord) => {
    const meta = o.metadata;
    const value = isRecord(meta) ? meta.creationTimestamp : undefined;
    // Objects not created yet (a folder) sort after every created one, by name.
    return typeof value === "string" ? value : "~";
  };
  return rules.sort((a, b) => compare(created(a), created(b)) || compare(keyOf(a), keyOf(b)));
}

function keyOf(object: ObjectRecord): string {
  const meta = isRecord(object.metadata) ? object.metadata : {};
  const namespace = typeof meta.namespace === "string" ? meta.namespace : "default";
  return `${namespace}/${typeof meta.name === "string" ? meta.name : "(unnamed)"}`;
}

function describe(errors: readonly { path: string; message: string }[]): string {
  const shown = errors.slice(0, MAX_LISTED).map((e) =>
    e.path === "" ? e.message : `${e.path}: ${e.message}`
  );
  const more = errors.length - shown.length;
  return `Invalid: ${shown.join("; ")}${more > 0 ? `; ${more} more` : ""}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
