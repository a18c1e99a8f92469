import assert from "node:assert/strict";
import { errorFromResponse, reasonOfStatus, unavailable } from "./errors.ts";

const CASES: Array<[number, string]> = [
  [404, "NotFound"],
  [409, "Conflict"],
  [410, "Gone"],
  [401, "Forbidden"],
  [403, "Forbidden"],
  [400, "Invalid"],
  [422, "Invalid"],
  [429, "Unavailable"],
  [500, "Unavailable"],
  [503, "Unavailable"],
  [504, "Unavailable"],
];

Deno.test("reasonOfStatus() maps every HTTP status once into a reason", async (t) => {
  for (const [status, reason] of CASES) {
    await t.step(`${status} is ${reason}`, () => assert.equal(reasonOfStatus(status), reason));
  }
});

Deno.test("errorFromResponse() keeps the apiserver's message verbatim", () => {
  const error = errorFromResponse(409, {
    kind: "Status",
    message: 'Operation cannot be fulfilled on x "y"',
  }, "PUT /x");
  assert.equal(error.reason, "Conflict");
  assert.equal(error.status, 409);
  assert.equal(error.message, 'Operation cannot be fulfilled on x "y"');
  assert.equal(errorFromResponse(500, undefined, "GET /z").message, "GET /z failed with HTTP 500");
});

Deno.test("unavailable() has no HTTP status and names the request", () => {
  const error = unavailable("GET /api", new TypeError("connection refused"));
  assert.equal(error.reason, "Unavailable");
  assert.equal(error.status, undefined);
  assert.equal(error.message, "GET /api failed: connection refused");
});
