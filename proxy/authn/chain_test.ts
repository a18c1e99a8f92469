import assert from "node:assert/strict";
import { deny } from "../../core/authz/decision.ts";
import { NOT_RESPONSIBLE, runChain } from "./chain.ts";

const none = () => deny("authenticate", 401, "no_strategy_responsible");

Deno.test("runChain() skips authenticators that are not responsible, in order", () => {
  const tried: string[] = [];
  const result = runChain(["a", "b", "c"], (name) => {
    tried.push(name);
    return name === "b" ? { subject: name } : NOT_RESPONSIBLE;
  }, none);
  assert.deepEqual(result, { subject: "b" });
  assert.deepEqual(tried, ["a", "b"]);
});

Deno.test("runChain() ends on the first deny and answers noneResponsible() past the last", async () => {
  const denied = runChain(
    ["a", "b"],
    () => deny("authenticate", 401, "token_expired"),
    none,
  );
  assert.ok(!(denied instanceof Promise) && "allow" in denied && denied.reason === "token_expired");
  const empty = await runChain<string, { subject: string }>(
    ["a"],
    () => Promise.resolve(NOT_RESPONSIBLE),
    none,
  );
  assert.ok("allow" in empty && empty.reason === "no_strategy_responsible");
});

Deno.test("runChain() stays synchronous while every authenticator tried is", () => {
  assert.ok(!(runChain([1, 2], (n) => n === 2 ? n : NOT_RESPONSIBLE, none) instanceof Promise));
  assert.ok(runChain([1], () => Promise.resolve(1), none) instanceof Promise);
});
