import assert from "node:assert/strict";
import { compileSafeRegex, safeRegexProblem } from "./safe_regex.ts";

function matcher(pattern: string): (input: string) => boolean {
  const compiled = compileSafeRegex(pattern);
  if (!compiled.ok) throw new TypeError(compiled.error);
  return (input) => compiled.value.matches(input);
}

Deno.test("compileSafeRegex() matches the whole input, as Envoy's safe_regex", () => {
  const match = matcher("/orders/[0-9]+");
  assert.equal(match("/orders/42"), true);
  assert.equal(match("/orders/42/items"), false);
  assert.equal(match("x/orders/42"), false);
  assert.equal(matcher("/a|/b")("/b"), true);
  assert.equal(matcher("/a|/b")("/a/b"), false);
  assert.equal(matcher("/.*")("/any/thing"), true);
  assert.equal(matcher("/*")("///"), true);
  assert.equal(matcher("/*")("/x"), false);
  assert.equal(matcher("https://([a-z0-9-]+\\.)*example\\.com")("https://a.b.example.com"), true);
  assert.equal(matcher("https://([a-z0-9-]+\\.)*example\\.com")("https://example.com.evil"), false);
});

Deno.test("compileSafeRegex() reads RE2 syntax that JavaScript does not", () => {
  assert.equal(matcher("(?i)HTTPS://Shop\\.example\\.com")("https://shop.EXAMPLE.com"), true);
  assert.equal(matcher("/\\pL+")("/straße"), true);
});

Deno.test("compileSafeRegex() refuses what RE2 (and so Envoy) refuses, with the exact reason", () => {
  const cases: [string, string][] = [
    [
      "/a(?!b)",
      '"/a(?!b)" is not a valid RE2 regular expression: ' +
      "invalid or unsupported Perl syntax: `(?!`",
    ],
    [
      "/(a)\\1",
      '"/(a)\\\\1" is not a valid RE2 regular expression: ' +
      "invalid escape sequence: `\\1`",
    ],
    ["/(", '"/(" is not a valid RE2 regular expression: missing closing ): `/(`'],
    [
      "/a**",
      '"/a**" is not a valid RE2 regular expression: ' +
      "invalid nested repetition operator: `**`",
    ],
  ];
  for (const [pattern, expected] of cases) {
    assert.equal(safeRegexProblem(pattern), expected, pattern);
  }
  assert.equal(safeRegexProblem("/api/(a+)+/x"), undefined);
});

Deno.test("a catastrophic pattern on hostile input is answered, in linear time (§8 #35)", () => {
  // `/api/(a+)+/x` doubles per character on a backtracking engine: 10 000 characters would take
  // longer than the universe has existed. The bound is generous for a busy machine.
  const match = matcher("/api/(a+)+/x");
  const hostile = `/api/${"a".repeat(10_000)}!`;
  const started = performance.now();
  assert.equal(match(hostile), false);
  assert.ok(performance.now() - started < 2_000);
  assert.equal(match(`/api/${"a".repeat(10_000)}/x`), true);
  const nested = matcher("(x+x+)+y");
  assert.equal(nested("x".repeat(5_000)), false);
  assert.equal(nested("xxy"), true);
});

Deno.test("compileSafeRegex() refuses huge repetitions instead of building them", () => {
  assert.match(safeRegexProblem("((a{1000}){1000}){1000}") ?? "", /invalid repeat count/);
});

Deno.test("compileSafeRegex() matches a literal pattern by equality, metacharacters by RE2", () => {
  assert.equal(matcher("/headers")("/headers"), true);
  assert.equal(matcher("/headers")("/headers/"), false);
  assert.equal(matcher("/a-b_c!")("/a-b_c!"), true);
  assert.equal(matcher("/a.b")("/aXb"), true);
  assert.equal(matcher("/a$")("/a"), true);
  assert.equal(matcher("/a^")("/a^"), false);
  assert.equal(matcher("/a|/b")("/b"), true);
  assert.equal(matcher("/a\\-b")("/a-b"), true);
  assert.equal(matcher("/a\\-b")("/a\\-b"), false);
});

Deno.test("safeRegexProblem() answers alike on every call, cached or not", () => {
  const long = `/${"a".repeat(2000)}(`; // past the cached length: compiled every time
  const patterns = ["/orders/[0-9]+", "/a(?!b)", "/(", "/plain", long, `/${"b".repeat(2000)}`];
  const first = patterns.map((pattern) => compileSafeRegex(pattern));
  const expected = first.map((compiled) => compiled.ok ? undefined : compiled.error);
  assert.equal(expected.filter((e) => e !== undefined).length, 3);
  for (let round = 0; round < 3; round++) {
    assert.deepEqual(patterns.map(safeRegexProblem), expected, `round ${round}`);
    // More distinct patterns than the cache holds, so later rounds compile evicted ones again.
    for (let i = 0; i < 300; i++) safeRegexProblem(`/evict/${round}/${i}/[a-z]+`);
  }
});
