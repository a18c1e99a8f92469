/**
 * APIRule v1beta1 → v2, rewritten the way upstream's migration guides do it by hand, as a pure
 * function: every change is a named step with its reason, every part without a faithful v2 form
 * is a refusal with its reason (never an approximation), and every difference in decisions the
 * rewrite means to make is declared, so the proof (cli/migrate_proof.ts) can tell it from an
 * accident.
 */
import { APIRuleSpecV1beta1, type Handler, type RuleV1beta1 } from "../../api/apirule/v1beta1.ts";
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
import { compileStrategy, type OryJwt } from "../authz/oathkeeper/strategies.ts";
import { pathTemplate } from "./paths.ts";
import type { Result } from "../result.ts";

/** The rewrites of the upstream guides, as the report names them. */
export type RewriteName =
  | "metadata"
  | "host"
  | "gateway"
  | "service"
  | "timeout"
  | "corsPolicy"
  | "path"
  | "noAuth"
  | "jwt"
  | "extAuth"
  | "request";

export interface Step {
  /** `spec.rules[i]`, or absent for the APIRule as a whole. */
  rule?: number;
  rewrite: RewriteName;
  detail: string;
}

/** What a generated request is, so an intended difference can name the requests it covers. */
export type RequestTag =
  /** A token of an issuer the v2 rule does not list. */
  | "wrong-issuer"
  /** A path that matched only through an unescaped regex `.`. */
  | "narrowed-dot"
  /** A request decided by an extension provider in v2 (never declared as intended). */
  | "delegated";

export interface IntendedDifference {
  rule: number;
  tag: RequestTag;
  why: string;
}

export interface MigrateOptions {
  /** `--issuer JWKS_URL=ISSUER`: the issuer of tokens signed by the keys at a JWKS URL. */
  issuers: ReadonlyMap<string, string>;
  /** The extension provider `oauth2_introspection`/`cookie_session` rules move to. */
  providerName: string;
  /** Refuse rewrites that need an external authorizer. */
  pureIstio: boolean;
}

export interface Migrated {
  namespace: string;
  name: string;
  /** The v1beta1 spec the rewrite read (the object's, or its `v1beta1-spec` annotation). */
  v1beta1Spec: APIRuleSpecV1beta1;
  v2: Record<string, unknown>;
  steps: Step[];
  intended: IntendedDifference[];
  /**
   * Handler configs of rules moved to `extAuth`, in `--handler-defaults` form, one per rule
   * (Oathkeeper's global config holds one per handler, so rules that differ need their own).
   */
  handlerDefaults: { rule: number; defaults: Record<string, unknown> }[];
}

export interface Refused {
  namespace: string;
  name: string;
  reasons: string[];
}

export type Migration = Result<Migrated, Refused>;

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

interface AuthRewrite {
  fields: Record<string, unknown>;
  steps: Step[];
  intended: IntendedDifference[];
  defaults?: Record<string, unknown>;
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

function jwtOf(
  handler: Handler,
  index: number,
  options: MigrateOptions,
): Result<AuthRewrite, string[]> {
  const compiled = compileStrategy("jwt", handler.config);
  if (!compiled.ok) return { ok: false, error: [`accessStrategies[0].config: ${compiled.error}`] };
  const strategy = compiled.value;
  if (strategy.kind === "jwt_istio") {
    return {
      ok: true,
      value: {
        fields: { jwt: handler.config },
        steps: [{
          rule: index,
          rewrite: "jwt",
          detail: "jwt in the Istio dialect → jwt, authentications and authorizations as written",
        }],
        intended: [],
      },
    };
  }
  if (strategy.kind !== "jwt") {
    return { ok: false, error: ["accessStrategies[0]: not a jwt strategy"] };
  }
  return oryJwtOf(strategy, index, options);
}

/** The Ory dialect: `jwks_urls` + `trusted_issuers` → `authentications` of issuer + jwksUri. */
function oryJwtOf(
  strategy: OryJwt,
  index: number,
  options: MigrateOptions,
): Result<AuthRewrite, string[]> {
  const where = "accessStrategies[0].config";
  const problems: string[] = [];
  const steps: Step[] = [];
  const intended: IntendedDifference[] = [];
  if (strategy.scopeStrategy !== "exact" && strategy.requiredScope.length > 0) {
    problems.push(
      `${where}.scope_strategy: "${strategy.scopeStrategy}" grants scopes other than the ` +
        "required ones; v2 requiredScopes match exactly",
    );
  }
  const trusted = strategy.trustedIssuers;
  const authentications: Record<string, unknown>[] = [];
  const location = tokenLocationOf(strategy.tokenFrom);
  if (!location.ok) problems.push(`${where}.token_from: ${location.error}`);
  let flagged = false;
  for (const url of strategy.jwksUrls) {
    const flag = options.issuers.get(url);
    let issuers: readonly string[];
    if (flag !== undefined) {
      if (trusted.length > 0 && !trusted.includes(flag)) {
        problems.push(
          `${where}: --issuer ${url}=${flag} names an issuer that is not one of trusted_issuers ` +
            `(${trusted.join(", ")})`,
        );
        continue;
      }
      issuers = [flag];
      flagged = true;
    } else if (trusted.length > 0 && strategy.jwksUrls.length === 1) {
      issuers = trusted;
    } else if (trusted.length > 0) {
      problems.push(
        `${where}: which of trusted_issuers (${trusted.join(", ")}) signs with the keys at ` +
          `"${url}" is not in the rule; pass --issuer ${url}=ISSUER`,
      );
      continue;
    } else {
      problems.push(
        `${where}: the rule trusts any issuer and v2 needs one per JWKS URL; pass ` +
          `--issuer ${url}=ISSUER (the "issuer" of the OpenID configuration)`,
      );
      continue;
    }
    for (const issuer of issuers) {
      authentications.push({
        issuer,
        jwksUri: url,
        ...(location.ok ? location.value : {}),
      });
    }
  }
  if (problems.length > 0) return { ok: false, error: problems };
  const authorization = {
    ...(strategy.requiredScope.length > 0 ? { requiredScopes: [...strategy.requiredScope] } : {}),
    ...(strategy.targetAudience.length > 0 ? { audiences: [...strategy.targetAudience] } : {}),
  };
  const issuerList = [...new Set(authentications.map((a) => String(a.issuer)))].join(", ");
  steps.push({
    rule: index,
    rewrite: "jwt",
    detail: `jwt (jwks_urls ${strategy.jwksUrls.join(", ")}) → jwt.authentications with issuer ` +
      `${issuerList} (${flagged ? "from --issuer" : "from trusted_issuers"})`,
  });
  if (strategy.requiredScope.length > 0) {
    steps.push({
      rule: index,
      rewrite: "jwt",
      detail: `required_scope ${strategy.requiredScope.join(" ")} → authorizations.requiredScopes`,
    });
  }
  if (strategy.targetAudience.length > 0) {
    steps.push({
      rule: index,
      rewrite: "jwt",
      detail: `target_audience ${strategy.targetAudience.join(" ")} → authorizations.audiences`,
    });
  }
  if (location.ok) {
    steps.push({ rule: index, rewrite: "jwt", detail: location.value.describe });
  }
  if (trusted.length === 0) {
    intended.push({
      rule: index,
      tag: "wrong-issuer",
      why:
        `v1beta1 accepted a token of any issuer signed by the keys; v2 accepts only ${issuerList}`,
    });
  } else {
    intended.push({
      rule: index,
      tag: "wrong-issuer",
      why: "a token of an untrusted issuer is answered 401 (issuer not configured) instead " +
        "of 403 (issuer not trusted)",
    });
  }
  return {
    ok: true,
    value: {
      fields: {
        jwt: {
          authentications: authentications.map(({ describe: _d, ...a }) => a),
          ...(Object.keys(authorization).length > 0 ? { authorizations: [authorization] } : {}),
        },
      },
      steps,
      intended,
    },
  };
}

/** `token_from` as v2 `fromHeaders`/`fromParams`; the default is stated so nothing widens. */
function tokenLocationOf(
  from: OryJwt["tokenFrom"],
): Result<Record<string, unknown> & { describe: string }, string> {
  switch (from.kind) {
    case "bearer":
      return {
        ok: true,
        value: {
          fromHeaders: [{ name: "Authorization", prefix: "Bearer " }],
          describe: "token in Authorization: Bearer → fromHeaders Authorization with prefix " +
            '"Bearer " (the v2 default would also read ?access_token=)',
        },
      };
    case "header":
      return from.name === "authorization" ? tokenLocationOf({ kind: "bearer" }) : {
        ok: true,
        value: {
          fromHeaders: [{ name: from.name }],
          describe: `token_from.header ${from.name} → fromHeaders ${from.name}`,
        },
      };
    case "query":
      return {
        ok: true,
        value: {
          fromParams: [from.name],
          describe: `token_from.query_parameter ${from.name} → fromParams ${from.name}`,
        },
      };
    case "cookie":
      return { ok: false, error: `cookie "${from.name}" has no v2 token location` };
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

/** `header`/`cookie` mutators with static values → `request.headers`/`request.cookies`. */
function requestOf(
  mutators: readonly Handler[],
  index: number,
): Result<{ request?: Record<string, unknown>; steps: Step[] }, string[]> {
  const headers: Record<string, string> = {};
  const cookies: Record<string, string> = {};
  const problems: string[] = [];
  const steps: Step[] = [];
  for (const [j, mutator] of mutators.entries()) {
    const where = `mutators[${j}]`;
    const config = isRecord(mutator.config) ? mutator.config : {};
    switch (mutator.handler) {
      case "noop":
        steps.push({
          rule: index,
          rewrite: "request",
          detail: "noop mutator dropped (sets nothing)",
        });
        break;
      case "header":
      case "cookie": {
        const key = mutator.handler === "header" ? "headers" : "cookies";
        const values = isRecord(config[key]) ? config[key] : {};
        const target = mutator.handler === "header" ? headers : cookies;
        for (const [name, value] of Object.entries(values)) {
          if (typeof value !== "string") {
            problems.push(`${where}.config.${key}.${name}: not a string`);
          } else if (value.includes("{{")) {
            problems.push(
              `${where}.config.${key}.${name}: "${value}" is a template of the authenticated ` +
                "session; v2 request values are static",
            );
          } else target[name] = value;
        }
        steps.push({
          rule: index,
          rewrite: "request",
          detail: `${mutator.handler} mutator → request.${key} ${Object.keys(values).join(", ")}`,
        });
        break;
      }
      default:
        problems.push(
          `${where}: mutator "${mutator.handler}" has no v2 form (v2 sets only static ` +
            "headers and cookies)",
        );
    }
  }
  if (problems.length > 0) return { ok: false, error: problems };
  const request = {
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(Object.keys(cookies).length > 0 ? { cookies } : {}),
  };
  return {
    ok: true,
    value: { ...(Object.keys(request).length > 0 ? { request } : {}), steps },
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
