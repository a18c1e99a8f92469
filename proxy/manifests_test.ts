import assert from "node:assert/strict";
import { compilePolicyIndex } from "../core/authz/policy_index.ts";
import { apiRule, GATEWAY, jwtConfig } from "../core/authz/_testing.ts";
import {
  authzManifests,
  checkHeaders,
  DATA_PLANE_V8_FLAGS,
  extensionProvider,
  kymaAuthorizer,
} from "./manifests.ts";
import { apiRuleV1beta1 } from "./oathkeeper/_testing.ts";

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

Deno.test("the data plane's V8 flags reach the authz Deployment and `deno task start`", async () => {
  const [deployment] = authzManifests({ image: "apigw:test" }).filter((o) =>
    o.kind === "Deployment"
  );
  const container = (deployment as { spec: { template: { spec: { containers: unknown[] } } } })
    .spec.template.spec.containers[0] as { env: { name: string; value: string }[] };
  assert.deepEqual(container.env, [{ name: "DENO_V8_FLAGS", value: DATA_PLANE_V8_FLAGS }]);
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.match(config.tasks.start, new RegExp(` --v8-flags=${DATA_PLANE_V8_FLAGS} `));
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

Deno.test("extensionProvider() lists the headers v1beta1 rules read and the mutators set", () => {
  const { index } = compilePolicyIndex([
    apiRuleV1beta1("orders", [
      {
        path: "/a",
        accessStrategies: [{
          handler: "cookie_session",
          config: { check_session_url: "http://kratos/whoami" },
        }],
        mutators: [
          { handler: "header", config: { headers: { "X-User": "{{ print .Subject }}" } } },
          { handler: "id_token", config: { issuer_url: "https://apigw" } },
        ],
      },
      {
        path: "/b",
        accessStrategies: [{
          handler: "oauth2_introspection",
          config: { introspection_url: "http://idp/introspect", token_from: { header: "X-Token" } },
        }],
      },
    ]),
  ], { providerName: "apigw-authz" });
  const provider = extensionProvider({ image: "apigw", index });
  const http = provider.envoyExtAuthzHttp as Record<string, unknown>;
  assert.deepEqual(http.includeRequestHeadersInCheck, [
    "authorization",
    "cookie",
    "x-forwarded-for",
    "x-token",
  ]);
  assert.deepEqual(http.headersToUpstreamOnAllow, ["authorization", "x-user"]);
  const plain = extensionProvider({ image: "apigw" }).envoyExtAuthzHttp as Record<string, unknown>;
  assert.equal("headersToUpstreamOnAllow" in plain, false);
});
