import assert from "node:assert/strict";
import { createLogger } from "./log.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "info",
    write: (line) => lines.push(JSON.parse(line)),
    now: () => new Date("2026-01-01T00:00:00Z"),
  });
  return { lines, log };
}

Deno.test("createLogger() writes one JSON event per line with level, msg and fields", () => {
  const { lines, log } = capture();
  log.info("Applied VirtualService", { namespace: "shop", name: "orders" });
  assert.deepEqual(lines, [{
    time: "2026-01-01T00:00:00.000Z",
    level: "info",
    msg: "Applied VirtualService",
    namespace: "shop",
    name: "orders",
  }]);
});

Deno.test("createLogger() drops events below the configured level", () => {
  const { lines, log } = capture();
  log.debug("Chatter");
  log.warn("Kept");
  assert.deepEqual(lines.map((l) => l.msg), ["Kept"]);
});

Deno.test("createLogger() never writes tokens, cookies, Authorization headers or Secret data", () => {
  const { lines, log } = capture();
  log.error("Failed to authenticate", {
    token: "eyJhbGciOi",
    headers: { authorization: "Bearer abc", cookie: "s=1", "x-request-id": "r1" },
    secret: { data: { "tls.key": "LS0t" } },
  });
  const text = JSON.stringify(lines);
  for (const leaked of ["eyJhbGciOi", "Bearer abc", "s=1", "LS0t"]) {
    assert.equal(text.includes(leaked), false, `leaked ${leaked}`);
  }
  assert.equal(text.includes("r1"), true);
});

Deno.test("Logger.child() adds its fields to every event", () => {
  const { lines, log } = capture();
  log.child({ controller: "apirule", reconcileId: "r-1" }).info("Reconciled APIRule");
  assert.equal(lines[0]?.controller, "apirule");
  assert.equal(lines[0]?.reconcileId, "r-1");
});

Deno.test("createLogger() writes Error values as name and message", () => {
  const { lines, log } = capture();
  log.error("Failed to apply AuthorizationPolicy", { error: new RangeError("boom") });
  assert.deepEqual(lines[0]?.error, { name: "RangeError", message: "boom" });
});
