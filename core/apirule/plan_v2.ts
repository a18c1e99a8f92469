/**
 * The reconcile of an APIRule v2/v2alpha1 as a value (docs/spec/apirule-v2.md §4): finalizer, gateway
 * discovery, dependency and config checks, validation, then the VirtualService, the
 * AuthorizationPolicies and the RequestAuthentications matched against what the APIRule owns,
 * Ory Rules of its v1beta1 past removed, and the status. Invalid APIRules change no object.
 */
import type { APIRuleV2Object } from "../../api/apirule/v2.ts";
import type { KubeObject } from "../../api/meta.ts";
import { parseAPIRuleV2 } from "../../api/parse.ts";
import { formatProblem } from "../../api/schema/problem.ts";
import type { Plan, PlanOptions } from "../plan.ts";
import type { Snapshot } from "../snapshot.ts";
import { readSelector } from "../istio/read.ts";
import { authorizationPoliciesFor } from "./authorization_policies.ts";
import {
  authorizationPolicyChanges,
  requestAuthenticationChanges,
  virtualServiceChanges,
} from "./changes.ts";
import type { APIRuleContext, ResolvedRule } from "./context.ts";
import { discoverGateway } from "../../api/validation/gateway.ts";
import { describeV2Failures, validateAPIRuleV2 } from "../../api/validation/apirule_v2.ts";
import { factsOf } from "../facts.ts";
import { gatewayDomain, resolveHosts } from "./hosts.ts";
import { FINALIZER } from "./labels.ts";
import { ownedObjects } from "./owned.ts";
import { requestAuthenticationsFor } from "./request_authentications.ts";
import { READY_DESCRIPTION, statusV2 } from "./status_v2.ts";
import { virtualServiceFor } from "./virtual_service.ts";
import { planDeletion } from "./deletion.ts";
import { jwtHandlerOf } from "./config.ts";

export const REQUIRED_CRDS = [
  "virtualservices.networking.istio.io",
  "authorizationpolicies.security.istio.io",
  "requestauthentications.security.istio.io",
] as const;

/** Plans one APIRule v2/v2alpha1 reconcile. Total: never throws. */
export function planAPIRuleV2(cr: KubeObject, snapshot: Snapshot, options: PlanOptions): Plan {
  const parsed = parseAPIRuleV2(cr);
  if (!parsed.ok) {
    return finish(cr, options, [], [], "Error", parsed.error.map(formatProblem).join("; "));
  }
  const rule = parsed.value;
  const owner = { name: rule.metadata.name ?? "", namespace: rule.metadata.namespace ?? "" };
  if (rule.metadata.deletionTimestamp !== undefined) return planDeletion(cr, snapshot, owner);

  const handler = jwtHandlerOf(snapshot);
  const facts = { ...factsOf(snapshot), ...(handler.ok ? { jwtHandler: handler.value } : {}) };
  const discovery = discoverGateway(rule.spec ?? {}, facts);
  if (!discovery.ok) {
    return finish(cr, options, [], [], "Error", describeV2Failures([discovery.failure]));
  }
  for (const crd of REQUIRED_CRDS) {
    if (!snapshot.hasCRD(crd)) {
      return finish(
        cr,
        options,
        [],
        [],
        "Warning",
        `CRD ${crd} is not present. Make sure to install required dependencies for the component`,
      );
    }
  }
  if (!handler.ok) {
    return finish(
      cr,
      options,
      [],
      [],
      "Error",
      describeV2Failures([{ attributePath: "", message: handler.error }]),
    );
  }
  const failures = validateAPIRuleV2(rule, facts).failures;
  if (failures.length > 0) {
    return finish(cr, options, [], [], "Error", describeV2Failures(failures));
  }
  const servers = discovery.gateway?.state === "found" ? discovery.gateway.value.servers : [];
  const context = contextFor(rule, snapshot, {
    domain: gatewayDomain(servers),
    reference: discovery.gatewayRef ?? "",
  });
  if (!context.ok) return finish(cr, options, [], [], "Error", `ApiRuleErrors: ${context.error}`);

  const owned = (group: string, kind: string) => ownedObjects(snapshot, group, kind, owner);
  const changes = [
    virtualServiceChanges(
      virtualServiceFor(context.value),
      owned("networking.istio.io", "VirtualService"),
    ),
    authorizationPolicyChanges(
      authorizationPoliciesFor(context.value),
      owned("security.istio.io", "AuthorizationPolicy"),
    ),
    requestAuthenticationChanges(
      requestAuthenticationsFor(context.value),
      owned("security.istio.io", "RequestAuthentication"),
    ),
    {
      apply: [],
      delete: snapshot.hasCRD("rules.oathkeeper.ory.sh") ? owned("oathkeeper.ory.sh", "Rule") : [],
    },
  ];
  return finish(
    cr,
    options,
    changes.flatMap((c) => c.apply),
    changes.flatMap((c) => c.delete),
    "Ready",
    READY_DESCRIPTION,
  );
}

function contextFor(
  rule: APIRuleV2Object,
  snapshot: Snapshot,
  discovery: { domain: string | undefined; reference: string },
): { ok: true; value: APIRuleContext } | { ok: false; error: string } {
  const spec = rule.spec;
  if (spec === undefined) return { ok: false, error: "spec is missing" };
  const hosts = resolveHosts(spec.hosts, discovery.domain);
  if (!hosts.ok) return hosts;
  const namespace = rule.metadata.namespace ?? "";
  const rules: ResolvedRule[] = [];
  for (const r of spec.rules) {
    const service = r.service ?? spec.service;
    if (service === undefined) return { ok: false, error: "service name is required but missing" };
    const serviceNamespace = r.service?.namespace ?? spec.service?.namespace ?? namespace;
    const object = snapshot.get("", "Service", serviceNamespace || "default", service.name);
    if (object === undefined) {
      return { ok: false, error: `services "${service.name}" not found` };
    }
    rules.push({
      rule: r,
      service: {
        name: service.name,
        namespace: serviceNamespace,
        port: service.port,
        selector: readSelector(object),
      },
    });
  }
  return {
    ok: true,
    value: {
      name: rule.metadata.name ?? "",
      namespace,
      hosts: hosts.value,
      gateway: discovery.reference,
      ...(spec.corsPolicy !== undefined ? { corsPolicy: spec.corsPolicy } : {}),
      ...(spec.timeout !== undefined ? { timeout: spec.timeout } : {}),
      rules,
    },
  };
}

function finish(
  cr: KubeObject,
  options: PlanOptions,
  apply: KubeObject[],
  remove: KubeObject[],
  state: "Ready" | "Error" | "Warning",
  description: string,
): Plan {
  const finalizers = cr.metadata.finalizers ?? [];
  return {
    apply,
    delete: remove,
    cr: {
      ...cr,
      metadata: {
        ...cr.metadata,
        finalizers: finalizers.includes(FINALIZER) ? finalizers : [...finalizers, FINALIZER],
      },
      status: statusV2(state, description, options.now),
    },
    state,
    description,
    complete: true,
  };
}
