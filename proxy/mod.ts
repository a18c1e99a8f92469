/**
 * The data-plane shell. An ext_authz check flows: `createAuthzHandler` over the `DataPlane` (`createDataPlane`, shared with `apigw serve`) → `readCheckRequest` (raw
 * request → canonical form) → `decide` (pipeline: match → authenticate with `TokenVerifier`,
 * backed by the JWKS manager and the verified-token cache → authorize → upstream headers) →
 * metrics + decision log → `toResponse`. Rules come from a `RuleSource` (folder or cluster)
 * through the `RuleStore`, which swaps compiled indexes atomically. The embedded gateway reuses
 * `decide`, the index and the verifier in-process.
 */
export {
  type AuthzDeps,
  type AuthzOptions,
  type CheckHandler,
  createAuthzHandler,
  createCheckHandler,
} from "./app.ts";
export { createDataPlane, type DataPlane, type DataPlaneSettings } from "./dataplane.ts";
export { readCheckRequest } from "./check_request.ts";
export { clusterSource } from "./cluster_source.ts";
export { createJwksManager, type Deadline, type JwksManager } from "./jwt/jwks.ts";
export { createTokenCache, tokenHash } from "./jwt/token_cache.ts";
export { createVerifier, type TokenVerifier } from "./jwt/verifier.ts";
export { createManagementApp } from "./management.ts";
export { authzManifests, checkHeaders, extensionProvider, kymaAuthorizer } from "./manifests.ts";
export { type AuthzMetrics, createMetrics } from "./metrics.ts";
export { decide, type Outcome, type PipelineDeps } from "./pipeline.ts";
export { DEBUG_HEADER, toResponse } from "./responses.ts";
export { createRuleStore, type RuleStore } from "./rule_store.ts";
export { folderSource, readFolder, type RuleSource, type Snapshot } from "./rule_source.ts";
