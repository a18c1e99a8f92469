/**
 * What the v1beta1 generators work from: the APIRule identity, its effective host, the gateway as
 * written, the JWT handler mode, and each rule with its backend resolved (docs/spec/apirule-v1beta1.md §6).
 */
import type { CorsPolicyV1beta1, RuleV1beta1 } from "../../../api/apirule/v1beta1.ts";
import type { JwtHandlerMode } from "./handlers.ts";

export interface BackendV1beta1 {
  name: string;
  namespace: string;
  port: number;
  /** The Service's `spec.selector`; undefined when the Service is not in the cluster. */
  selector: Record<string, string> | undefined;
}

export interface V1beta1Context {
  name: string;
  namespace: string;
  host: string;
  gateway: string;
  mode: JwtHandlerMode;
  corsPolicy?: CorsPolicyV1beta1;
  timeout?: number;
  rules: Array<{ rule: RuleV1beta1; backend: BackendV1beta1 }>;
}
