/**
 * The span attributes of a decision, the same on `apigw authz`'s check span and `apigw serve`'s
 * request span: rule, step, reason, decision, and the rate limit bucket that denied.
 */
import type { Attributes } from "@opentelemetry/api";
import type { Outcome } from "./outcome.ts";

export function outcomeAttributes(outcome: Outcome): Attributes {
  const { decision } = outcome;
  const attributes: Attributes = {
    "apigw.decision": decision.allow ? "allow" : "deny",
    "apigw.reason": decision.reason,
    "apigw.step": decision.step,
  };
  if (outcome.rule !== undefined) attributes["apigw.rule"] = outcome.rule.id;
  if (!decision.allow) {
    attributes["apigw.status"] = decision.status;
    if (decision.step === "ratelimit" && decision.detail !== undefined) {
      attributes["apigw.ratelimit.bucket"] = decision.detail;
    }
  }
  return attributes;
}
