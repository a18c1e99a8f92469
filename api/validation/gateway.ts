/**
 * Gateway discovery of APIRule v2 (docs/spec/apirule-v2.md §5, §13.7): exactly one of `spec.gateway` and
 * `spec.externalGateway`, and the named Istio Gateway must exist. It runs before every other
 * check and a failure stops them, as upstream's reconcile does. The checks G1–G4 of §13.7 are
 * shadowed by it upstream; their cases are covered here with discovery's texts.
 */
import { GATEWAY_REF_PATTERN } from "../apirule/v2.ts";
import type { GatewayFact, ValidationFacts } from "./facts.ts";
import type { Failure } from "./failure.ts";
import { findGateway, type Lookup } from "./_lookup.ts";

/** The outcome of discovery: a failure that stops validation, or the Gateway as far as known. */
export type Discovery =
  | { ok: false; failure: Failure }
  | { ok: true; gatewayRef: string; gateway: Lookup<GatewayFact> }
  | { ok: true; gatewayRef: undefined; gateway: undefined };

const REF = new RegExp(GATEWAY_REF_PATTERN);

/** Finds the Gateway an APIRule's `spec` (as written, unchecked) refers to. */
export function discoverGateway(
  spec: { gateway?: unknown; externalGateway?: unknown },
  facts: ValidationFacts,
): Discovery {
  const hasGateway = spec.gateway !== undefined && spec.gateway !== null;
  const hasExternal = spec.externalGateway !== undefined && spec.externalGateway !== null;
  if (!hasGateway && !hasExternal) {
    return fail("spec", "Either gateway or externalGateway must be specified"); // G1
  }
  if (hasGateway && hasExternal) {
    // D8: upstream reports G1's text here.
    return fail("spec", "Only one of gateway or externalGateway can be specified"); // G2
  }
  if (hasExternal) {
    return fail("spec.externalGateway", "ExternalGateway is not supported"); // G4, decision 5
  }
  // A malformed reference fails the schema (S4); upstream requeues without a status.
  if (typeof spec.gateway !== "string" || !REF.test(spec.gateway)) {
    return { ok: true, gatewayRef: undefined, gateway: undefined };
  }
  const [namespace = "", name = ""] = spec.gateway.split("/");
  const gateway = findGateway(facts, { namespace, name });
  if (gateway.state === "missing") {
    return fail("spec.gateway", "Could not get specified Gateway"); // G3
  }
  return { ok: true, gatewayRef: spec.gateway, gateway };
}

function fail(attributePath: string, message: string): Discovery {
  return { ok: false, failure: { attributePath, message } };
}
