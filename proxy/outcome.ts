/**
 * The values the data-plane steps pass along (STYLE §12: shared types in a leaf module): the
 * check input, the outcome of a decision, and the narrow interfaces of the steps `decide()` runs
 * besides its own (the v1beta1 access-strategy engine, the global rate limit).
 */
import type { CanonicalRequest } from "../core/authz/canonical.ts";
import type { Decision } from "../core/authz/decision.ts";
import type { CompiledRule } from "../core/authz/rule.ts";
import type { HeaderReader } from "../core/authz/token.ts";
import type { Deadline } from "./jwt/jwks.ts";

export interface PipelineOptions {
  /** The `realm` of RFC 6750 challenges. */
  realm: string;
  /** DP-JWT-2: 401 (RFC 6750) by default; 403 mimics Istio's RBAC answer. */
  missingTokenStatus: 401 | 403;
}

export interface CheckInput {
  request: CanonicalRequest;
  headers: HeaderReader;
  /** The address the check came from (the workload's proxy), when known. */
  peer?: string;
}

/** The last step: may turn an outcome into a 429, and adds the RateLimit fields. */
export interface RateLimitStep {
  apply(outcome: Outcome, input: CheckInput): Outcome | Promise<Outcome>;
}

/** The identity authentication established. */
export type Identity =
  | { kind: "anonymous" }
  | { kind: "jwt"; issuer: string; payload: Readonly<Record<string, unknown>>; cached: boolean };

/** A decision and what led to it, for the log, the debug header and `apigw explain`. */
export interface Outcome {
  decision: Decision;
  rule?: CompiledRule;
  identity?: Identity;
  /** The access strategy that authenticated a v1beta1 rule, and its subject. */
  session?: { handler: string; subject: string };
}

/** The narrow interface `decide()` calls for `accessStrategies` rules. */
export interface AccessStrategyEngine {
  decide(rule: CompiledRule, input: CheckInput, deadline?: Deadline): Outcome | Promise<Outcome>;
}
