import assert from "node:assert/strict";
import { createLogger } from "../lib/log.ts";
import { createWebhookApp } from "./app.ts";

const log = createLogger({ level: "error", write: () => {} });
const identity = (object: unknown, to: string) => ({
  ok: true as const,
  value: { ...(object as object), apiVersion: to },
});

Deno.test("createWebhookApp() answers POST /convert with a ConversionReview", async () => {
  const app = createWebhookApp({ convert: identity, log });
  const response = await app.request("/convert", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "ConversionReview",
      request: { uid: "1", desiredAPIVersion: "x/v2", objects: [{ metadata: { name: "a" } }] },
    }),
  });
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.response.convertedObjects[0].apiVersion, "x/v2");
});

Deno.test("createWebhookApp() rejects invalid JSON with 400 and oversized bodies with 413", async () => {
  const app = createWebhookApp({ convert: identity, log, maxBodyBytes: 1024 });
  const bad = await app.request("/convert", { method: "POST", body: "{nope" });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
  const big = await app.request("/convert", {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": "5000" },
    body: "x".repeat(5000),
  });
  assert.equal(big.status, 413);
  await big.body?.cancel();
});
