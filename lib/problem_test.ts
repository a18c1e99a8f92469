import assert from "node:assert/strict";
import { problemDetails, problemResponse } from "./problem.ts";

Deno.test("problemDetails() fills type and title from the status, extensions after detail", () => {
  const body = problemDetails(404, { detail: "No rule matches", reason: "no_rule_matched" });
  assert.deepEqual(Object.entries(body), [
    ["type", "about:blank"],
    ["title", "Not Found"],
    ["status", 404],
    ["detail", "No rule matches"],
    ["reason", "no_rule_matched"],
  ]);
  assert.equal(problemDetails(418).title, "Error");
  assert.equal(problemDetails(429, { type: "urn:x", title: "Slow down" }).title, "Slow down");
});

Deno.test("problemResponse() answers application/problem+json, no-store, keeping given headers", async () => {
  const response = problemResponse(401, { reason: "missing_token" }, {
    "www-authenticate": 'Bearer realm="apigw"',
  });
  assert.equal(response.status, 401);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="apigw"');
  assert.deepEqual(await response.json(), {
    type: "about:blank",
    title: "Unauthorized",
    status: 401,
    reason: "missing_token",
  });
});
