/**
 * The reconcile of a v1beta1 APIRule as a value (docs/spec/apirule-v1beta1.md §8): the spec as the user
 * wrote it (the object itself, or the `v1beta1-spec` annotation of a stored object), finalizer,
 * dependency and mode checks, validation, then the VirtualService, the RequestAuthentications and
 * AuthorizationPolicies (istio mode) and the Oathkeeper Rules, matched against what it owns.
 * apigw has no access gate (decision 1): a successful reconcile ends Ready.
 */
import { APIRuleSpecV1beta1 } from "../../../api/apirule/v1beta1.ts";
import type {
  APIRuleSpecV1beta1 as SpecV1beta1,
  StatusCode,
} from "../../../api/apirule/v1beta1.ts";
import type { KubeObject } from "../../../api/meta.ts";
import { parseWith } from "../../../api/parse.ts";
import { formatProblem } from "../../../api/schema/problem.ts";
import type { Plan, PlanOptions } from "../../plan.ts";
import type { Snapshot } from "../../snapshot.ts";
import { readSelector, record } from "../../istio/read.ts";
import {
  authorizationPolicyChanges,
  matchByKey,
  requestAuthenticationChanges,
  virtualServiceChanges,
} from "../changes.ts";
import { apigwProviderOf, jwtHandlerOf } from "../config.ts";
import { apigwPoliciesV1beta1, gatewaySelectorOf } from "./apigw_policies.ts";
import { planDeletion } from "../deletion.ts";
import { FINALIZER } from "../labels.ts";
import { ownedObjects } from "../owned.ts";
import { statusV2 } from "../status_v2.ts";
import type { V1beta1Context } from "./context.ts";
import { defaultDomain } from "./default_domain.ts";
import type { JwtHandlerMode } from "./handlers.ts";
import { authorizationPoliciesV1beta1, requestAuthenticationsV1beta1 } from "./istio_policies.ts";
import { oathkeeperRulesFor, ruleKey } from "./oathkeeper_rules.ts";
import { READY_DESCRIPTION_V1BETA1, stateOf, statusV1beta1 } from "./status.ts";
import { describeV1beta1Failures } from "../../../api/validation/apirule_v1beta1.ts";
import { validateV1beta1InCluster } from "./validate.ts";
import { virtualServiceForV1beta1 } from "./virtual_service.ts";

export const V1BETA1_SPEC_ANNOTATION = "gateway.kyma-project.io/v1beta1-spec";

const APIGW_REQUIRED_CRDS = [
  "virtualservices.networking.istio.io",
  "authorizationpolicies.security.istio.io",
];

const REQUIRED_CRDS = [
  "virtualservices.networking.istio.io",
  "rules.oathkeeper.ory.sh",
  "authorizationpolicies.security.istio.io",
  "requestauthentications.security.istio.io",
];

/** Plans one v1beta1 APIRule reconcile. Total: never throws. */
export function planAPIRuleV1beta1(cr: KubeObject, snapshot: Snapshot, options: PlanOptions): Plan {
  const owner = { name: cr.metadata.name ?? "", namespace: cr.metadata.namespace ?? "" };
  if (cr.metadata.deletionTimestamp !== undefined) return planDeletion(cr, snapshot, owner);
  const finish = finisher(cr, options);
  const spec = specOf(cr);
  if (!spec.ok) return finish("ERROR", spec.error, { mode: undefined, base: "SKIPPED" });

  const handler = jwtHandlerOf(snapshot);
  // With jwtHandler apigw neither Oathkeeper nor RequestAuthentications are needed.
  const required = handler.ok && handler.value === "apigw" ? APIGW_REQUIRED_CRDS : REQUIRED_CRDS;
  for (const crd of required) {
    if (!snapshot.hasCRD(crd)) {
      return finish(
        "WARNING",
        `CRD ${crd} is not present. Make sure to install required dependencies for the component`,
        { mode: undefined, base: undefined },
      );
    }
  }
  if (!handler.ok) {
    return finish(
      "ERROR",
      describeV1beta1Failures([{ attributePath: "", message: handler.error }]),
      { mode: undefined, base: "SKIPPED" },
    );
  }
  const mode = handler.value;
  const failures = validateV1beta1InCluster(cr, spec.value, snapshot, mode);
  const host = effectiveHost(spec.value.host, snapshot);
  if (!host.ok && failures.length === 0) {
    failures.push({ attributePath: ".spec.host", message: host.error });
  }
  if (failures.length > 0 || !host.ok) {
    return finish("ERROR", describeV1beta1Failures(failures), { mode, base: "SKIPPED" });
  }
  const context = contextFor(spec.value, owner, host.value, mode, snapshot);
  if (!context.ok) return finish("ERROR", context.error, { mode, base: "SKIPPED" });

  const owned = (group: string, kind: string) => ownedObjects(snapshot, group, kind, owner);
  const istio = mode === "istio";
  let policies = istio ? authorizationPoliciesV1beta1(context.value) : [];
  if (mode === "apigw") {
    const selector = gatewaySelectorOf(spec.value.gateway, owner.namespace, snapshot);
    if (!selector.ok) return finish("ERROR", selector.error, { mode, base: "SKIPPED" });
    policies = apigwPoliciesV1beta1(context.value, {
      provider: apigwProviderOf(snapshot),
      gatewaySelector: selector.value,
    });
  }
  const rules = oathkeeperRulesFor(context.value);
  const changes = [
    virtualServiceChanges(
      virtualServiceForV1beta1(context.value),
      owned("networking.istio.io", "VirtualService"),
    ),
    requestAuthenticationChanges(
      istio ? requestAuthenticationsV1beta1(context.value) : [],
      owned("security.istio.io", "RequestAuthentication"),
    ),
    authorizationPolicyChanges(
      policies,
      owned("security.istio.io", "AuthorizationPolicy"),
    ),
    matchByKey(rules.map((r) => r.rule), owned("oathkeeper.ory.sh", "Rule"), (o) => {
      const desired = rules.find((r) => r.rule === o);
      if (desired !== undefined) return desired.key;
      const match = record(record(o.spec)?.match);
      const url = typeof match?.url === "string" ? match.url : undefined;
      const methods = Array.isArray(match?.methods) ? match.methods.map(String) : [];
      if (url === undefined) return undefined;
      // An existing Rule is keyed like the desired one it would be: with methods when the
      // APIRule repeats that path.
      const repeated = rules.some((r) => r.key !== url && r.key.startsWith(`${url}:`));
      return ruleKey(url, methods, repeated);
    }),
  ];
  return finish("OK", READY_DESCRIPTION_V1BETA1, {
    mode,
    base: "OK",
    apply: changes.flatMap((c) => c.apply),
    remove: changes.flatMap((c) => c.delete),
  });
}

/** The v1beta1 spec: the object's own, or the one saved in the annotation of a stored object. */
function specOf(cr: KubeObject): { ok: true; value: SpecV1beta1 } | { ok: false; error: string } {
  let raw: unknown = cr.spec;
  if (!cr.apiVersion.endsWith("/v1beta1")) {
    const text = cr.metadata.annotations?.[V1BETA1_SPEC_ANNOTATION];
    if (text === undefined) {
      return { ok: false, error: `annotation ${V1BETA1_SPEC_ANNOTATION} is missing` };
    }
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return {
        ok: false,
        error: `Can't read json: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
  const parsed = parseWith<SpecV1beta1>(APIRuleSpecV1beta1, raw);
  return parsed.ok ? parsed : {
    ok: false,
    error: parsed.error.map((p) =>
      formatProblem({ ...p, path: `spec${p.path ? "." + p.path : ""}` })
    ).join("; "),
  };
}

function effectiveHost(
  host: string,
  snapshot: Snapshot,
): { ok: true; value: string } | { ok: false; error: string } {
  if (host.includes(".")) return { ok: true, value: host };
  const domain = defaultDomain(snapshot);
  if (domain.kind === "domain") return { ok: true, value: `${host}.${domain.domain}` };
  const message = "Host does not contain a domain name and no default domain name is configured";
  // Upstream stops every v1beta1 reconcile on a misconfigured default gateway, short host or not.
  return { ok: false, error: domain.kind === "none" ? message : `${message}: ${domain.reason}` };
}

function contextFor(
  spec: SpecV1beta1,
  owner: { name: string; namespace: string },
  host: string,
  mode: JwtHandlerMode,
  snapshot: Snapshot,
): { ok: true; value: V1beta1Context } | { ok: false; error: string } {
  const rules: V1beta1Context["rules"] = [];
  for (const rule of spec.rules) {
    const service = rule.service ?? spec.service;
    if (service === undefined) return { ok: false, error: "service name is required but missing" };
    const namespace = rule.service?.namespace || spec.service?.namespace || owner.namespace;
    const object = snapshot.get("", "Service", namespace || "default", service.name);
    const selector = object === undefined ? undefined : readSelector(object);
    if (mode === "istio" && (object === undefined || Object.keys(selector ?? {}).length === 0)) {
      // Upstream emits policies without a selector here, i.e. for the whole namespace.
      return {
        ok: false,
        error: object === undefined
          ? `services "${service.name}" not found`
          : `Service ${namespace}/${service.name} has no selector: refusing to generate namespace-wide policies`,
      };
    }
    rules.push({ rule, backend: { name: service.name, namespace, port: service.port, selector } });
  }
  return {
    ok: true,
    value: {
      name: owner.name,
      namespace: owner.namespace,
      host,
      gateway: spec.gateway,
      mode,
      ...(spec.corsPolicy !== undefined ? { corsPolicy: spec.corsPolicy } : {}),
      ...(spec.timeout !== undefined ? { timeout: spec.timeout } : {}),
      rules,
    },
  };
}

interface FinishOptions {
  mode: JwtHandlerMode | undefined;
  base: StatusCode | undefined;
  apply?: KubeObject[];
  remove?: KubeObject[];
}

function finisher(cr: KubeObject, options: PlanOptions) {
  return function finish(code: StatusCode, description: string, how: FinishOptions): Plan {
    const finalizers = cr.metadata.finalizers ?? [];
    const state = stateOf(code);
    const status = cr.apiVersion.endsWith("/v1beta1")
      ? statusV1beta1(code, description, { now: options.now, mode: how.mode, base: how.base })
      : statusV2(
        state === "Ready" ? "Ready" : state === "Error" ? "Error" : "Warning",
        description,
        options.now,
      );
    return {
      apply: how.apply ?? [],
      delete: how.remove ?? [],
      cr: {
        ...cr,
        metadata: {
          ...cr.metadata,
          finalizers: finalizers.includes(FINALIZER) ? finalizers : [...finalizers, FINALIZER],
        },
        status,
      },
      state,
      description,
      complete: true,
    };
  };
}
