/**
 * APIRule v1beta1 objects compiled for decisions: the v1beta1 spec (the object's own, or the
 * `v1beta1-spec` annotation of a stored object whose original version is v1beta1), its effective
 * host, and per rule the path matcher the `jwtHandler: apigw` VirtualService routes by, the
 * methods, the access strategies and the mutators.
 */
import { APIRuleSpecV1beta1, type RuleV1beta1 } from "../../../api/apirule/v1beta1.ts";
import type { APIRuleSpecV1beta1 as SpecV1beta1 } from "../../../api/apirule/v1beta1.ts";
import { parseWith } from "../../../api/parse.ts";
import { formatProblem } from "../../../api/schema/problem.ts";
import type { CompiledRule } from "../rule.ts";
import { compileMutator, type Mutator } from "./mutators.ts";
import { type AccessStrategy, compileStrategy, type HandlerDefaults } from "./strategies.ts";

export const ORIGINAL_VERSION = "gateway.kyma-project.io/original-version";
export const V1BETA1_SPEC = "gateway.kyma-project.io/v1beta1-spec";

export interface CompiledV1beta1 {
  host: string;
  rules: CompiledRule[];
}

/** Whether `object` is an APIRule to be served with its v1beta1 spec. */
export function isV1beta1APIRule(object: Readonly<Record<string, unknown>>): boolean {
  if (object.apiVersion === "gateway.kyma-project.io/v1beta1") return true;
  return annotation(object, ORIGINAL_VERSION) === "v1beta1" &&
    annotation(object, V1BETA1_SPEC) !== undefined;
}

/**
 * Compiles a v1beta1 APIRule; `domain` is the default domain short hosts take. Every handler
 * config problem is reported at once.
 */
export function compileAPIRuleV1beta1(
  object: Readonly<Record<string, unknown>>,
  options: { domain: string | undefined; defaults?: HandlerDefaults },
): { ok: true; value: CompiledV1beta1 } | { ok: false; error: string } {
  const spec = specOf(object);
  if (!spec.ok) return spec;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "default";
  const name = typeof metadata.name === "string" ? metadata.name : "";
  const host = spec.value.host.includes(".")
    ? spec.value.host
    : options.domain === undefined
    ? undefined
    : `${spec.value.host}.${options.domain}`;
  if (host === undefined) {
    return {
      ok: false,
      error: `host "${spec.value.host}" has no domain and no default domain is configured`,
    };
  }
  const problems: string[] = [];
  const rules = spec.value.rules.map((rule, index): CompiledRule => {
    const where = `spec.rules[${index}]`;
    const strategies = rule.accessStrategies.flatMap((s, j): AccessStrategy[] => {
      const compiled = compileStrategy(s.handler, s.config, options.defaults);
      if (!compiled.ok) problems.push(`${where}.accessStrategies[${j}]: ${compiled.error}`);
      return compiled.ok ? [compiled.value] : [];
    });
    const mutators = (rule.mutators ?? []).flatMap((m, j): Mutator[] => {
      const compiled = compileMutator(m.handler, m.config, options.defaults);
      if (!compiled.ok) problems.push(`${where}.mutators[${j}]: ${compiled.error}`);
      return compiled.ok ? [compiled.value] : [];
    });
    return {
      id: `${namespace}/${name}#${index}`,
      apiRule: { namespace, name },
      index,
      path: rule.path,
      methods: [...rule.methods],
      auth: { kind: "accessStrategies", strategies, mutators },
      matchesPath: v1beta1PathMatcher(rule),
    };
  });
  if (problems.length > 0) return { ok: false, error: problems.join("; ") };
  return { ok: true, value: { host: host.toLowerCase(), rules } };
}

/**
 * The matcher of a v1beta1 rule path, as the `jwtHandler: apigw` VirtualService routes it: `/*`
 * is a prefix match on `/` (as in istio mode), anything else the path as an anchored regex
 * (Envoy's full match).
 */
export function v1beta1PathMatcher(rule: Pick<RuleV1beta1, "path">): (path: string) => boolean {
  if (rule.path === "/*") return (candidate) => candidate.startsWith("/");
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${rule.path})$`);
    // V8 compiles on first use: a pattern too large to compile must fail here, not per request.
    regex.test("");
  } catch {
    // Not a regex JavaScript reads; Envoy would refuse the route too, so nothing matches.
    return () => false;
  }
  return (candidate) => regex.test(candidate);
}

function specOf(
  object: Readonly<Record<string, unknown>>,
): { ok: true; value: SpecV1beta1 } | { ok: false; error: string } {
  let raw: unknown = object.spec;
  if (object.apiVersion !== "gateway.kyma-project.io/v1beta1") {
    try {
      raw = JSON.parse(annotation(object, V1BETA1_SPEC) ?? "");
    } catch {
      return { ok: false, error: `annotation ${V1BETA1_SPEC} is not JSON` };
    }
  }
  const parsed = parseWith<SpecV1beta1>(APIRuleSpecV1beta1, raw);
  if (parsed.ok) return parsed;
  const shown = parsed.error.slice(0, 3).map((p) =>
    formatProblem({ ...p, path: `spec.${p.path}` })
  );
  return { ok: false, error: `Invalid: ${shown.join("; ")}` };
}

function annotation(object: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const value = annotations[key];
  return typeof value === "string" ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
