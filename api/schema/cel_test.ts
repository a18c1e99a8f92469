import assert from "node:assert/strict";
import { celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { compileCelPattern, evaluateRule, toCel } from "./cel.ts";
import { HOST_PATTERN } from "../apirule/v2.ts";

// @bufbuild/cel's own environment, whose `matches()` compiles the pattern on every call.
const REFERENCE = celEnv({ variables: { self: { kind: "dyn" } as never } });

function reference(rule: string, self: unknown): string {
  const value = plan(REFERENCE, parse(rule))({ self: toCel(self, undefined) } as never);
  return isCelError(value) ? `error: ${value.message}` : String(value);
}

function cached(rule: string, self: unknown): string {
  const outcome = evaluateRule({ rule, message: "false" }, toCel(self, undefined));
  if (outcome.ok) return "true";
  return outcome.reason === "error" ? `error: ${outcome.detail}` : "false";
}

const hostRule = `self.matches('${HOST_PATTERN.replaceAll("\\", "\\\\")}')`;
const CASES: Array<{ name: string; rule: string; self: unknown }> = [
  { name: "a host the CRD pattern accepts", rule: hostRule, self: "shop.example.com" },
  { name: "a wildcard host", rule: hostRule, self: "*.example.com" },
  { name: "a host the CRD pattern refuses", rule: hostRule, self: "Shop..example" },
  { name: "a partial match (matches() searches)", rule: "self.matches('b+')", self: "abbbc" },
  { name: "an anchored miss", rule: "self.matches('^b+$')", self: "abbbc" },
  { name: "a pattern from the object", rule: "self.s.matches(self.p)", self: { s: "ab", p: "a." } },
  { name: "a pattern RE2 refuses", rule: "self.matches('(')", self: "x" },
  { name: "Perl syntax RE2 refuses", rule: "self.matches('a(?!b)')", self: "ac" },
];

Deno.test("evaluateRule() answers matches() as @bufbuild/cel's own matches() does", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      const expected = reference(tc.rule, tc.self);
      // Twice: the second answer comes from the cached pattern.
      assert.equal(cached(tc.rule, tc.self), expected);
      assert.equal(cached(tc.rule, tc.self), expected);
    });
  }
});

Deno.test("compileCelPattern() compiles a pattern once while cached, and keeps at most 64", () => {
  const first = compileCelPattern("^first-[a-z]+$");
  assert.equal(compileCelPattern("^first-[a-z]+$"), first);
  for (let i = 0; i < 64; i++) compileCelPattern(`^other-${i}$`);
  const again = compileCelPattern("^first-[a-z]+$");
  assert.notEqual(again, first, "the 64 later patterns evicted the first one");
  assert.equal(again.test("first-abc"), true);
  assert.equal(again.test("first-ABC"), false);
});
