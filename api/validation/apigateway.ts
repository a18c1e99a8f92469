/**
 * The offline check of an APIGateway (docs/spec/apigateway.md §2): only the oldest APIGateway CR
 * reconciles the module; every other one is parked in `Warning`.
 */
import { oldestOf } from "../apigateway/owner.ts";
import type { APIGatewayFact, ValidationFacts } from "./facts.ts";
import { type Checked, failed, passed, skipped } from "./failure.ts";
import { objectKey } from "./_guards.ts";

/** The singleton failure of an APIGateway that is not the owner, with upstream's status text. */
export function validateAPIGateway(apiGateway: unknown, facts: ValidationFacts): Checked {
  const { name } = objectKey(apiGateway);
  if (facts.apiGateways === undefined) {
    return skipped("Singleton check skipped: the other APIGateway CRs are unknown");
  }
  const owner = ownerOf(facts.apiGateways);
  if (owner === undefined || owner.name === name) return passed();
  return failed({
    attributePath: "",
    message:
      `stopped APIGateway CR reconciliation: only APIGateway CR ${owner.name} reconciles the module`,
  });
}

/**
 * The owner: the oldest by `creationTimestamp`; among equal ones (one-second resolution) the
 * first by name (tightened; upstream's pick is arbitrary). One without a timestamp is not
 * created yet and counts as the newest.
 */
export function ownerOf(apiGateways: readonly APIGatewayFact[]): APIGatewayFact | undefined {
  return oldestOf(apiGateways, (g) => g);
}
