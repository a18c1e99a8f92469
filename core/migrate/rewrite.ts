/**
 * APIRule v1beta1 → v2, rewritten the way upstream's migration guides do it by hand, as a pure
 * function: every change is a named step with its reason, every part without a faithful v2 form
 * is a refusal with its reason (never an approximation), and every difference in decisions the
 * rewrite means to make is declared, so the proof (cli/migrate_proof.ts) can tell it from an
 * accident.
 */
import { APIRuleSpecV1beta1, type Handler, type RuleV1beta1 } from "../../api/apirule/v1beta1.ts";
import type {
  AuthRewrite,
  IntendedDifference,
  Migrated,
  MigrateOptions,
  Migration,
  Step,
} from "./types.ts";
import { jwtOf } from "./jwt.ts";
import { requestOf } from "./request.ts";
import { parseWith } from "../../api/parse.ts";
import { formatProblem } from "../../api/schema/problem.ts";
import { v2GatewayName } from "../../api/conversion/gateway_name.ts";
import { hubCorsPolicyOf } from "../../api/conversion/to_hub.ts";
import {
  ORIGINAL_VERSION_ANNOTATION,
  V1BETA1_SPEC_ANNOTATION,
  V2ALPHA1_RULES_ANNOTATION,
} from "../../api/conversion/annotations.ts";
import { factsFromObjects, validateObject } from "../../api/validation/mod.ts";
import { pathTemplate } from "./paths.ts";
import type { Result } from "../result.ts";

export type {
  AuthRewrite,
  IntendedDifference,
  Migrated,
  MigrateOptions,
  Migration,
  Refused,
  RequestTag,
  RewriteName,
  Step,
} from "./types.ts";

const V1BETA1 = "gateway.kyma-project.io/v1beta1";
const STALE_ANNOTATIONS = [
  ORIGINAL_VERSION_ANNOTATION,
  V1BETA1_SPEC_ANNOTATION,
  V2ALPHA1_RULES_ANNOTATION,
  // Refers to the v1beta1 object; kubectl would diff the v2 one against it.
  "kubectl.kubernetes.io/last-applied-configuration",
];
const ALLOW_HANDLERS = ["allow", "no_auth", "noop"];

/** Tells whether `object` is an APIRule whose spec is v1beta1 (written, or stored with it). */
export function isV1beta1Source(object: Readonly<Record<string, unknown>>): boolean {
  if (object.kind !== "APIRule") return false;
  if (object.apiVersion === V1BETA1) return true;
  const annotations = annotationsOf(object);
  return annotations[ORIGINAL_VERSION_ANNOTATION] === "v1beta1" &&
    typeof annotations[V1BETA1_SPEC_ANNOTATION] === "string";
}

/** Rewrites one v1beta1 APIRule as v2, or says why it cannot be. */
export function migrateAPIRule(
  object: Readonly<Record<string, unknown>>,
  options: MigrateOptions,
): Migration {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "default";
  const name = typeof metadata.name === "string" ? metadata.name : "";
  const refuse = (reasons: string[]): Migration => ({
    ok: false,
    error: { namespace, name, reasons },
  });
  const spec = v1beta1SpecOf(object);
  if (!spec.ok) return refuse([spec.error]);
  const s = spec.value;
  const steps: Step[] = [];
  const intended: IntendedDifference[] = [];
  const reasons: string[] = [];
  const handlerDefaults: Migrated["handlerDefaults"] = [];

  const annotations = annotationsOf(object);
  const kept = Object.fromEntries(
    Object.entries(annotations).filter(([key]) => !STALE_ANNOTATIONS.includes(key)),
  );
  const dropped = Object.keys(annotations).filter((key) => STALE_ANNOTATIONS.includes(key));
  if (dropped.length > 0) {
    steps.push({
      rewrite: "metadata",
      detail: `dropped annotations ${dropped.map((k) => `"${k}"`).join(", ")}: they describe ` +
        "the v1beta1 object",
    });
  }
  steps.push({ rewrite: "host", detail: `host "${s.host}" → hosts ["${s.host}"] (as written)` });
  const gateway = v2GatewayName(s.gateway, namespace);
  if (gateway === undefined) {
    reasons.push(`spec.gateway "${s.gateway}" has no namespace/name form`);
  } else if (gateway !== s.gateway) {
    steps.push({
      rewrite: "gateway",
      detail: `"${s.gateway}" → "${gateway}": v2 takes only the namespace/name form`,
    });
  }
  const cors = s.corsPolicy === undefined ? undefined : hubCorsPolicyOf(s.corsPolicy);
  if (s.corsPolicy?.maxAge !== undefined && cors?.maxAge !== undefined) {
    steps.push({
      rewrite: "corsPolicy",
      detail: `maxAge "${s.corsPolicy.maxAge}" → ${cors.maxAge} (whole seconds); preflight ` +
        "requests reach a v2 rule only if it lists OPTIONS",
    });
  }

  const rules = s.rules.map((rule, index) => {
    const where = `spec.rules[${index}]`;
    const out: Record<string, unknown> = {};
    const path = pathTemplate(rule.path);
    if (!path.ok) {
      reasons.push(`${where}.path: ${path.error}`);
    } else {
      out.path = path.value.template;
      for (const change of path.value.changes) {
        steps.push({ rule: index, rewrite: "path", detail: change });
      }
      if (path.value.narrowedDots.length > 0) {
        intended.push({
          rule: index,
          tag: "narrowed-dot",
          why:
            `an unescaped "." in "${rule.path}" matched any character; the v2 path matches only "."`,
        });
      }
    }
    if (rule.service !== undefined) out.service = rule.service;
    out.methods = [...rule.methods];
    const auth = authOf(rule, index, options);
    if (!auth.ok) reasons.push(...auth.error.map((r) => `${where}.${r}`));
    else {
      Object.assign(out, auth.value.fields);
      steps.push(...auth.value.steps);
      intended.push(...auth.value.intended);
      if (auth.value.defaults !== undefined) {
        handlerDefaults.push({ rule: index, defaults: auth.value.defaults });
      }
    }
    const request = requestOf(rule.mutators ?? [], index);
    if (!request.ok) reasons.push(...request.error.map((r) => `${where}.${r}`));
    else if (request.value.request !== undefined) {
      out.request = request.value.request;
      steps.push(...request.value.steps);
    }
    if (rule.timeout !== undefined) out.timeout = rule.timeout;
    return out;
  });
  if (reasons.length > 0) return refuse(reasons);

  const labels = isRecord(metadata.labels) ? metadata.labels : undefined;
  const v2 = {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: {
      name,
      namespace,
      ...(labels !== undefined && Object.keys(labels).length > 0 ? { labels } : {}),
      ...(Object.keys(kept).length > 0 ? { annotations: kept } : {}),
    },
    spec: {
      hosts: [s.host],
      ...(s.service !== undefined ? { service: s.service } : {}),
      gateway,
      ...(cors !== undefined ? { corsPolicy: cors } : {}),
      rules,
      ...(s.timeout !== undefined ? { timeout: s.timeout } : {}),
    },
  };
  const invalid = validateObject(v2, factsFromObjects([], { complete: false })).problems
    .filter((p) => p.severity === "error");
  if (invalid.length > 0) {
    return refuse(invalid.map((p) => `the v2 APIRule would be invalid: ${p.path}: ${p.message}`));
  }
  return {
    ok: true,
    value: { namespace, name, v1beta1Spec: s, v2, steps, intended, handlerDefaults },
  };
}

/** The v2 access fields of one rule's access strategies. */
function authOf(
  rule: RuleV1beta1,
  index: number,
  options: MigrateOptions,
): Result<AuthRewrite, string[]> {
  const strategies = rule.accessStrategies;
  const first = strategies[0]!;
  const handlers = strategies.map((s) => s.handler);
  if (ALLOW_HANDLERS.includes(first.handler)) {
    // The first is always responsible and allows, so later strategies never ran.
    const never = strategies.length > 1
      ? `; ${handlers.slice(1).join(", ")} after it never decided and are dropped`
      : "";
    return {
      ok: true,
      value: {
        fields: { noAuth: true },
        steps: [{
          rule: index,
          rewrite: "noAuth",
          detail: `${first.handler} → noAuth: true (both let every request through)${never}`,
        }],
        intended: [],
      },
    };
  }
  if (strategies.length > 1) {
    return {
      ok: false,
      error: [
        `accessStrategies: ${handlers.join(", ")} are tried in turn (the next when one finds ` +
        "no credential of its kind); a v2 rule has exactly one of noAuth, jwt, extAuth",
      ],
    };
  }
  switch (first.handler) {
    case "jwt":
      return jwtOf(first, index, options);
    case "oauth2_introspection":
    case "cookie_session":
      return extAuthOf(first, index, options);
    case "anonymous":
      return {
        ok: false,
        error: [
          "accessStrategies[0]: anonymous lets requests without an Authorization header " +
          "through and denies the others; v2 has no such rule",
        ],
      };
    case "unauthorized":
      return {
        ok: false,
        error: [
          "accessStrategies[0]: unauthorized denies every request; v2 has no such rule " +
          "(delete the rule: requests no rule matches are not routed)",
        ],
      };
    default:
      return {
        ok: false,
        error: [`accessStrategies[0]: handler "${first.handler}" has no v2 form`],
      };
  }
}

function extAuthOf(
  handler: Handler,
  index: number,
  options: MigrateOptions,
): Result<AuthRewrite, string[]> {
  if (options.pureIstio) {
    return {
      ok: false,
      error: [
        `accessStrategies[0]: ${handler.handler} needs an external authorizer (v2 extAuth); ` +
        "with --pure-istio there is none to name",
      ],
    };
  }
  const config = isRecord(handler.config) ? handler.config : {};
  return {
    ok: true,
    value: {
      fields: { extAuth: { authorizers: [options.providerName] } },
      steps: [{
        rule: index,
        rewrite: "extAuth",
        detail: `${handler.handler} → extAuth with authorizer "${options.providerName}"; its ` +
          "config moves to the provider's --handler-defaults (printed below)",
      }],
      // Not declared as intended: what the provider answers is outside the proof, so every
      // difference on these rules stays for the user to accept (--accept-differences).
      intended: [],
      defaults: { authenticators: { [handler.handler]: { config } } },
    },
  };
}

/** Namespace, name and v1beta1 spec of a v1beta1 source, or why the spec is unreadable. */
export function v1beta1Source(
  object: Readonly<Record<string, unknown>>,
): Result<{ namespace: string; name: string; spec: APIRuleSpecV1beta1 }, string> {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const spec = v1beta1SpecOf(object);
  if (!spec.ok) return spec;
  return {
    ok: true,
    value: {
      namespace: typeof metadata.namespace === "string" ? metadata.namespace : "default",
      name: typeof metadata.name === "string" ? metadata.name : "",
      spec: spec.value,
    },
  };
}

function v1beta1SpecOf(
  object: Readonly<Record<string, unknown>>,
): Result<APIRuleSpecV1beta1, string> {
  let raw: unknown = object.spec;
  if (object.apiVersion !== V1BETA1) {
    try {
      raw = JSON.parse(String(annotationsOf(object)[V1BETA1_SPEC_ANNOTATION]));
    } catch {
      return { ok: false, error: `annotation ${V1BETA1_SPEC_ANNOTATION} is not JSON` };
    }
  }
  const parsed = parseWith<APIRuleSpecV1beta1>(APIRuleSpecV1beta1, raw);
  if (parsed.ok) return parsed;
  const shown = parsed.error.slice(0, 3).map((p) =>
    formatProblem({ ...p, path: `spec.${p.path}` })
  );
  return { ok: false, error: `Invalid v1beta1 spec: ${shown.join("; ")}` };
}

function annotationsOf(object: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  return isRecord(metadata.annotations) ? metadata.annotations : {};
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
