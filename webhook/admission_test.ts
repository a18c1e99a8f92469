import assert from "node:assert/strict";
import { createLogger } from "../lib/log.ts";
import {
  createWebhookApp,
  MUTATE_APIRULE_PATH,
  VALIDATE_APIRULE_PATH,
  VALIDATE_RATELIMIT_PATH,
} from "./app.ts";

const log = createLogger({ level: "error", write: () => {} });
const app = createWebhookApp({ convert: () => ({ ok: false, error: "unused" }), log });

function review(
  object: unknown,
  options: { operation?: string; oldObject?: unknown; version?: string } = {},
) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "u-1",
      kind: { group: "gateway.kyma-project.io", version: options.version ?? "v2", kind: "APIRule" },
      operation: options.operation ?? "CREATE",
      object,
      oldObject: options.oldObject ?? null,
    },
  };
}

async function post(path: string, body: unknown) {
  const response = await app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200);
  return (await response.json()).response;
}

const VALID = {
  apiVersion: "gateway.kyma-project.io/v2",
  kind: "APIRule",
  metadata: { name: "shop", namespace: "demo" },
  spec: {
    hosts: ["shop.example.com"],
    gateway: "kyma-system/kyma-gateway",
    service: { name: "shop", port: 80 },
    rules: [{ path: "/a", methods: ["GET"], noAuth: true }],
  },
};

const INVALID = {
  ...VALID,
  spec: {
    ...VALID.spec,
    timeout: 0,
    rules: [
      { path: "/a/{**}/b/{**}", methods: ["GET"], noAuth: true },
      { path: "/x", methods: ["GET"], jwt: { authentications: [] } },
    ],
  },
};

Deno.test("validateAdmission admits a valid APIRule and echoes the uid", async () => {
  const response = await post(VALIDATE_APIRULE_PATH, review(VALID));
  assert.deepEqual(response, { uid: "u-1", allowed: true });
});

Deno.test("validateAdmission refuses an invalid APIRule with every problem and its field path", async () => {
  const response = await post(VALIDATE_APIRULE_PATH, review(INVALID));
  assert.equal(response.allowed, false);
  const message: string = response.status.message;
  assert.match(message, /^APIRule demo\/shop is invalid: /);
  for (
    const fragment of [
      "spec.timeout",
      "spec.rules[0].path: Only one {**} operator is allowed in the path",
      "A JWT config must have at least one authentication",
    ]
  ) {
    assert.ok(message.includes(fragment), `"${fragment}" not in ${message}`);
  }
});

Deno.test("validateAdmission skips checks that need cluster objects", async () => {
  // The Gateway, the Service and the Pods are unknown to the webhook: no failure for them.
  const response = await post(
    VALIDATE_APIRULE_PATH,
    review({ ...VALID, spec: { ...VALID.spec, gateway: "nowhere/none" } }),
  );
  assert.equal(response.allowed, true);
});

Deno.test("validateAdmission never blocks metadata-only updates such as finalizer removal", async () => {
  const old = {
    ...INVALID,
    metadata: { ...INVALID.metadata, finalizers: ["gateway.kyma-project.io/subresources"] },
  };
  const response = await post(
    VALIDATE_APIRULE_PATH,
    review(INVALID, { operation: "UPDATE", oldObject: old }),
  );
  assert.equal(response.allowed, true);
});

Deno.test("validateAdmission refuses a RateLimit bucket without path or headers", async () => {
  const rateLimit = {
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name: "rl", namespace: "demo" },
    spec: {
      selectorLabels: { app: "a" },
      local: {
        defaultBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1s" },
        buckets: [{ bucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: "1s" } }],
      },
    },
  };
  const response = await post(VALIDATE_RATELIMIT_PATH, review(rateLimit));
  assert.equal(response.allowed, false);
  assert.match(response.status.message, /At least one of 'path' or 'headers' must be set/);
});

Deno.test("defaultAdmission sets original-version on v2alpha1 writes as a JSON Patch", async () => {
  const object = { ...VALID, apiVersion: "gateway.kyma-project.io/v2alpha1" };
  const response = await post(MUTATE_APIRULE_PATH, review(object, { version: "v2alpha1" }));
  assert.equal(response.allowed, true);
  assert.equal(response.patchType, "JSONPatch");
  assert.deepEqual(JSON.parse(atob(response.patch)), [
    {
      op: "add",
      path: "/metadata/annotations",
      value: { "gateway.kyma-project.io/original-version": "v2alpha1" },
    },
  ]);
});

Deno.test("the admission routes answer 400 to bodies that are not AdmissionReviews", async () => {
  const response = await app.request(VALIDATE_APIRULE_PATH, {
    method: "POST",
    body: JSON.stringify({ kind: "Pod" }),
  });
  assert.equal(response.status, 400);
  await response.body?.cancel();
});
