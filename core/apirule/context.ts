/**
 * What the APIRule v2 generators work from: the APIRule's identity, its resolved hosts and
 * gateway, and each rule with its backend Service already looked up (docs/spec/apirule-v2.md §5–§7).
 * The planner builds it from the cluster facts; the generators never look anything up.
 */
import type { CorsPolicy, Rule } from "../../api/apirule/v2.ts";

export interface ResolvedService {
  name: string;
  namespace: string;
  port: number;
  /** The Service object's `spec.selector`; never empty after validation (R4). */
  selector: Record<string, string>;
}

export interface ResolvedRule {
  rule: Rule;
  service: ResolvedService;
}

export interface APIRuleContext {
  name: string;
  namespace: string;
  hosts: string[];
  /** `namespace/name` of the discovered Istio Gateway. */
  gateway: string;
  corsPolicy?: CorsPolicy;
  timeout?: number;
  rules: ResolvedRule[];
}
