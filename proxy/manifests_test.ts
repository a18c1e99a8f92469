import assert from "node:assert/strict";
import { compilePolicyIndex } from "../core/authz/policy_index.ts";
import { apiRule, GATEWAY, jwtConfig } from "../core/authz/_testing.ts";
import { authzManifests, checkHeaders, extensionProvider, kymaAuthorizer } from "./manifests.ts";

Deno.test("authzManifests() runs apigw authz with probes on the management port", () => {
  const objects = authzManifests({ image: "apigw:test" });
  assert.deepEqual(objects.map((o) => o.kind), [
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Deployment",
    "Service",
  ]);
  const text = JSON.stringify(objects[3]);
  assert.match(
    text,
    /"args":\["authz","--listen","0.0.0.0:8080","--management-listen","0.0.0.0:9091"/,
  );
  assert.match(text, /"readinessProbe":\{"httpGet":\{"path":"\/readyz","port":"management"\}/);
});

Deno.test("extensionProvider() sets a short timeout and statusOnError 503 (DP-AUTHZ-6)", () => {
  const provider = extensionProvider({ image: "x" });
  assert.deepEqual(provider, {
    name: "apigw-authz",
    envoyExtAuthzHttp: {
      service: "apigw-authz.kyma-system.svc.cluster.local",
      port: 8080,
      timeout: "1s",
      statusOnError: "503",
      includeRequestHeadersInCheck: ["authorization", "x-forwarded-for"],
      headersToDownstreamOnDeny: [
        "www-authenticate",
        "content-type",
        "cache-control",
        "retry-after",
        "ratelimit",
        "ratelimit-policy",
      ],
      headersToDownstreamOnAllow: ["ratelimit", "ratelimit-policy"],
    },
  });
  assert.equal(kymaAuthorizer({ image: "x" }).service, "apigw-authz.kyma-system.svc.cluster.local");
});

Deno.test("checkHeaders() lists every header the rules read tokens from (DP-AUTHZ-3)", () => {
  const { index } = compilePolicyIndex([
    GATEWAY,
    apiRule("a", [{
      jwt: jwtConfig([], { fromHeaders: [{ name: "X-JWT-Assertion", prefix: "" }] }),
    }]),
  ], { providerName: "apigw-authz" });
  assert.deepEqual(checkHeaders(index), ["authorization", "x-forwarded-for", "x-jwt-assertion"]);
});
