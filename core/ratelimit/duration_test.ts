import assert from "node:assert/strict";
import { formatSeconds, parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads Go durations as nanoseconds", async (t) => {
  const cases: Array<[string, bigint]> = [
    ["50ms", 50_000_000n],
    ["1.5s", 1_500_000_000n],
    ["1m30s", 90_000_000_000n],
    ["2h", 7_200_000_000_000n],
    ["1h0m0s", 3_600_000_000_000n],
    ["300us", 300_000n],
    ["300\u00b5s", 300_000n],
    ["7ns", 7n],
    [".5s", 500_000_000n],
    ["1.s", 1_000_000_000n],
    ["0", 0n],
    ["-1s", -1_000_000_000n],
    ["+1s", 1_000_000_000n],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => assert.deepEqual(parseDuration(text), { ok: true, value: expected }));
  }
});

Deno.test("parseDuration() rejects days and weeks that the CRD format admits, naming the unit", async (t) => {
  for (const text of ["1d", "2w", "1h1d"]) {
    await t.step(text, () => {
      const result = parseDuration(text);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.match(result.error, /^unit "[dw]" is not supported \(use ns, us, ms, s, m or h\)$/);
      }
    });
  }
});

Deno.test("parseDuration() rejects what Go rejects", async (t) => {
  const cases: Array<[string, RegExp]> = [
    ["", /not a valid duration/],
    ["abc", /not a valid duration/],
    [".s", /not a valid duration/],
    ["5", /missing unit/],
    ["1 s", /unit " s" is not supported/],
    ["1s2", /missing unit/],
    ["9223372036854775808ns", /out of range/],
  ];
  for (const [text, reason] of cases) {
    await t.step(JSON.stringify(text), () => {
      const result = parseDuration(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.error, reason);
    });
  }
});

Deno.test("formatSeconds() prints seconds with six decimals like Go's %f", async (t) => {
  const cases: Array<[bigint, string]> = [
    [50_000_000n, "0.050000s"],
    [250_000_000n, "0.250000s"],
    [30_000_000_000n, "30.000000s"],
    [90_000_000_000n, "90.000000s"],
    [3_600_000_000_000n, "3600.000000s"],
    [1_234_567_890n, "1.234568s"],
    [1_000_000_400n, "1.000000s"],
    [1_000_000_500n, "1.000000s"],
    [1_000_001_500n, "1.000002s"],
  ];
  for (const [nanoseconds, expected] of cases) {
    await t.step(`${nanoseconds}ns`, () => assert.equal(formatSeconds(nanoseconds), expected));
  }
});
