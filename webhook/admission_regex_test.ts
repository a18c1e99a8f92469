/** The admission webhook refuses author regexes RE2 refuses (issue 14), naming the field. */
import assert from "node:assert/strict";
import { createLogger } from "../lib/log.ts";
import { createWebhookApp, VALIDATE_APIRULE_PATH } from "./app.ts";

const app = createWebhookApp({
  convert: () => ({ ok: false, error: "unused" }),
  log: createLogger({ level: "error", write: () => {} }),
});

async function admit(object: Record<string, unknown>, version: string) {
  const response = await app.request(VALIDATE_APIRULE_PATH, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid: "u-1",
        kind: { group: "gateway.kyma-project.io", version, kind: "APIRule" },
        operation: "CREATE",
        object,
        oldObject: null,
      },
    }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).response;
}

Deno.test("validateAdmission refuses a v1beta1 path RE2 refuses and admits a catastrophic one", async () => {
  const object = (path: string) => ({
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name: "legacy", namespace: "demo" },
    spec: {
      host: "legacy.example.com",
      gateway: "kyma-system/kyma-gateway",
      service: { name: "legacy", port: 80 },
      rules: [{ path, methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] }],
    },
  });
  const refused = await admit(object("/a(?!b)"), "v1beta1");
  assert.equal(refused.allowed, false);
  assert.ok(
    refused.status.message.includes(
      'spec.rules[0].path: "/a(?!b)" is not a valid RE2 regular expression: ' +
        "invalid or unsupported Perl syntax: `(?!`",
    ),
    refused.status.message,
  );
  assert.equal((await admit(object("/api/(a+)+/x"), "v1beta1")).allowed, true);
});

Deno.test("validateAdmission refuses a v2 CORS allowOrigins regex RE2 refuses", async () => {
  const response = await admit({
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: { name: "shop", namespace: "demo" },
    spec: {
      hosts: ["shop.example.com"],
      gateway: "kyma-system/kyma-gateway",
      service: { name: "shop", port: 80 },
      corsPolicy: { allowOrigins: [{ regex: "https://(x)\\1" }] },
      rules: [{ path: "/a", methods: ["GET"], noAuth: true }],
    },
  }, "v2");
  assert.equal(response.allowed, false);
  assert.ok(
    response.status.message.includes(
      'spec.corsPolicy.allowOrigins[0].regex: "https://(x)\\\\1" is not a valid RE2 regular ' +
        "expression: invalid escape sequence: `\\1`",
    ),
    response.status.message,
  );
});
