import assert from "node:assert/strict";
import { createLogger } from "../lib/log.ts";
import { createWebhookApp, type ReviewTiming, VALIDATE_APIRULE_PATH } from "./app.ts";

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

Deno.test("createWebhookApp() reports its own time per review, by webhook and code", async () => {
  const timings: ReviewTiming[] = [];
  const app = createWebhookApp({ convert: identity, log, observe: (t) => timings.push(t) });
  const review = (path: string, body: string) =>
    app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body });
  const converted = await review(
    "/convert",
    JSON.stringify({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "ConversionReview",
      request: { uid: "1", desiredAPIVersion: "x/v2", objects: [] },
    }),
  );
  await converted.body?.cancel();
  const bad = await review(VALIDATE_APIRULE_PATH, "{nope");
  await bad.body?.cancel();
  assert.deepEqual(timings.map((t) => `${t.webhook} ${t.code}`), [
    "conversion 200",
    "validate-apirule 400",
  ]);
  for (const t of timings) {
    assert.ok(t.seconds > 0 && t.computeSeconds > 0, JSON.stringify(t));
    assert.ok(t.computeSeconds <= t.seconds, JSON.stringify(t));
  }
});
