import assert from "node:assert/strict";
import { formatGoDuration, parseGoDuration } from "./duration.ts";

const S = 1_000_000_000n;

const VALID: [string, bigint][] = [
  ["0", 0n],
  ["0s", 0n],
  ["-0", 0n],
  ["10s", 10n * S],
  ["+5s", 5n * S],
  ["-2h", -7200n * S],
  ["1m30s", 90n * S],
  ["90.5s", 90n * S + 500_000_000n],
  ["1m30.5s", 90n * S + 500_000_000n],
  ["500ms", 500_000_000n],
  ["1.5ms", 1_500_000n],
  ["2us", 2_000n],
  ["2\u00b5s", 2_000n],
  ["2\u03bcs", 2_000n],
  ["7ns", 7n],
  ["1.5ns", 1n],
  ["1h0m0s", 3600n * S],
  [".5s", 500_000_000n],
  ["1.s", S],
  ["1h1h", 7200n * S],
  ["9223372036854775807ns", (1n << 63n) - 1n],
  ["-9223372036854775808ns", -(1n << 63n)],
];

const INVALID = [
  "",
  "+",
  "-",
  "s",
  "5",
  "5x",
  "1.2.3s",
  ".s",
  "5 s",
  "00",
  "9223372036854775808ns",
  "3000000h",
];

Deno.test("parseGoDuration() reads what time.ParseDuration reads", async (t) => {
  for (const [text, nanoseconds] of VALID) {
    await t.step(
      JSON.stringify(text),
      () => assert.deepEqual(parseGoDuration(text), { ok: true, value: nanoseconds }),
    );
  }
});

Deno.test("parseGoDuration() rejects what time.ParseDuration rejects", async (t) => {
  for (const text of INVALID) {
    await t.step(JSON.stringify(text), () => {
      const parsed = parseGoDuration(text);
      assert.equal(parsed.ok, false);
      assert.match(parsed.ok ? "" : parsed.error, /duration|unit|range/);
    });
  }
});

const FORMATTED: [bigint, string][] = [
  [0n, "0s"],
  [7n, "7ns"],
  [1_500n, "1.5\u00b5s"],
  [500_000_000n, "500ms"],
  [1_500_000n, "1.5ms"],
  [10n * S, "10s"],
  [90n * S, "1m30s"],
  [90n * S + 500_000_000n, "1m30.5s"],
  [300n * S, "5m0s"],
  [3600n * S, "1h0m0s"],
  [-90n * S, "-1m30s"],
  [(1n << 63n) - 1n, "2562047h47m16.854775807s"],
];

Deno.test("formatGoDuration() prints as Duration.String() does", async (t) => {
  for (const [nanoseconds, text] of FORMATTED) {
    await t.step(text, () => assert.equal(formatGoDuration(nanoseconds), text));
  }
});

Deno.test("formatGoDuration() output parses back to the same duration", () => {
  for (const [nanoseconds] of FORMATTED) {
    assert.deepEqual(parseGoDuration(formatGoDuration(nanoseconds)), {
      ok: true,
      value: nanoseconds,
    });
  }
});

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

Deno.test("parseGoDuration() reads Go durations as nanoseconds", async (t) => {
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
    await t.step(
      text,
      () => assert.deepEqual(parseGoDuration(text), { ok: true, value: expected }),
    );
  }
});

Deno.test("parseGoDuration() rejects days and weeks that the CRD format admits, naming the unit", async (t) => {
  for (const text of ["1d", "2w", "1h1d"]) {
    await t.step(text, () => {
      const result = parseGoDuration(text);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.match(result.error, /^unit "[dw]" is not supported \(use ns, us, ms, s, m or h\)$/);
      }
    });
  }
});

Deno.test("parseGoDuration() rejects what Go rejects", async (t) => {
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
      const result = parseGoDuration(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.error, reason);
    });
  }
});
