import assert from "node:assert/strict";
import { parseGoDuration } from "./_duration.ts";

Deno.test("parseGoDuration() reads Go durations in nanoseconds", async (t) => {
  const cases: Array<[string, bigint | string]> = [
    ["50ms", 50_000_000n],
    ["1.5s", 1_500_000_000n],
    ["1m30s", 90_000_000_000n],
    ["2h", 7_200_000_000_000n],
    ["1µs", 1_000n],
    ["1μs", 1_000n],
    ["10us", 10_000n],
    ["5ns", 5n],
    [".5s", 500_000_000n],
    ["1.s", 1_000_000_000n],
    ["-1s", -1_000_000_000n],
    ["0", 0n],
    ["", "not a valid duration (for example 50ms, 1.5s or 1m30s)"],
    ["1", "missing unit (use ns, us, ms, s, m or h)"],
    ["1d", 'unit "d" is not supported (use ns, us, ms, s, m or h)'],
    ["1w", 'unit "w" is not supported (use ns, us, ms, s, m or h)'],
    [".s", "not a valid duration (for example 50ms, 1.5s or 1m30s)"],
    ["s", "not a valid duration (for example 50ms, 1.5s or 1m30s)"],
    ["1 s", 'unit " s" is not supported (use ns, us, ms, s, m or h)'],
    ["9999999999h", "duration out of range"],
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => {
      const parsed = parseGoDuration(text);
      assert.deepEqual(
        parsed,
        typeof expected === "bigint"
          ? { ok: true, value: expected }
          : { ok: false, error: expected },
      );
    });
  }
});
