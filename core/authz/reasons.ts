/**
 * Every denial reason a client can read in a problem body (`reason`) or an access log line, as
 * one closed list: the decision reasons of the ext_authz pipeline (`DENY_REASONS`) plus the few
 * that only the embedded gateway (`apigw serve`) produces while forwarding. The troubleshooting
 * guide has one entry per reason (tests/docs/troubleshooting_test.ts).
 */
import { DENY_REASONS, type DenyReason } from "./decision.ts";

/** Reasons of `apigw serve` that are not pipeline decisions: the upstream leg of a request. */
export const GATEWAY_REASONS = [
  "body_too_large",
  "invalid_framing",
  "upstream_timeout",
  "upstream_unavailable",
] as const;

export type GatewayReason = typeof GATEWAY_REASONS[number];

/** Pipeline deny reasons, then the gateway's own. */
export const DENIAL_REASONS: readonly (DenyReason | GatewayReason)[] = [
  ...Object.keys(DENY_REASONS) as DenyReason[],
  ...GATEWAY_REASONS,
];

export type DenialReason = DenyReason | GatewayReason;

/** Reasons an access log line shows for answers that are not denials. */
export const NON_DENIAL_LOG_REASONS = ["forwarded", "cors_preflight"] as const;
