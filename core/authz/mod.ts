/**
 * Pure decision logic of the data plane. A check flows here as: raw method, target and Host →
 * `canonicalRequest` (one canonical form, DP-CANON-1) → `PolicyIndex.match` (the rule routing
 * picks: host, method, canonical path) → token extraction (`extractToken`) → after the shell
 * verified the token, `checkAuthorizations`; every outcome is a `Decision` with a stable reason.
 * No I/O and no clock: the shell (proxy/) passes time, keys and headers in.
 */
export * from "./canonical.ts";
export * from "./claims.ts";
export * from "./decision.ts";
export * from "./policy_index.ts";
export * from "./rule.ts";
export * from "./token.ts";
