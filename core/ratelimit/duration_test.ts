import assert from "node:assert/strict";
import { formatSeconds } from "./duration.ts";

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
