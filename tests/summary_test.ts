import assert from "node:assert/strict";
import { failedInDenoOutput, summarizeJunit, summaryLine } from "./summary.ts";

// Shape of Deno 2.9's JUnit report: steps follow the top-level tests as "<parent> > <step>".
const JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="9" failures="3" errors="0" time="0.146">
    <testsuite name="./a_test.ts" tests="8" disabled="1" errors="0" failures="3">
        <testcase name="top one" classname="./a_test.ts" time="0.003" line="1" col="6">
        </testcase>
        <testcase name="top fails in step" classname="./a_test.ts" time="0.007" line="5" col="6">
            <failure message="1 test step failed">1 test step failed.</failure>
        </testcase>
        <testcase name="ignored one" classname="./a_test.ts" time="0.000" line="8" col="6">
            <skipped/>
        </testcase>
        <testcase name="a &gt; b" classname="./a_test.ts" time="0.001" line="9" col="6">
            <failure message="Uncaught Error: x">Error: x</failure>
        </testcase>
        <testcase name="top one &gt; step a" classname="./a_test.ts" time="0.001" line="2" col="11">
        </testcase>
        <testcase name="top one &gt; step b &gt; nested" classname="./a_test.ts" time="0.000" line="3" col="51">
        </testcase>
        <testcase name="top fails in step &gt; bad step" classname="./a_test.ts" time="0.001" line="6" col="11">
            <failure message="Uncaught Error: boom">Error: boom</failure>
        </testcase>
    </testsuite>
    <testsuite name="./b_test.ts" tests="1" disabled="0" errors="0" failures="0">
        <testcase name="top one &gt; step a" classname="./b_test.ts" time="0.001" line="1" col="6">
        </testcase>
    </testsuite>
</testsuites>`;

Deno.test("summarizeJunit() counts top-level tests only, as deno test does", () => {
  assert.deepEqual(summarizeJunit(JUNIT), { passed: 2, failed: 2, skipped: 1 });
});

Deno.test("failedInDenoOutput() reads the failures of deno test's closing line", async (t) => {
  const cases = [
    { output: "ok | 12 passed (3 steps) | 0 failed (45ms)\n", failed: 0 },
    { output: "\x1b[31mFAILED\x1b[0m | 2 passed | 1 failed | 1 ignored (1s)\n", failed: 1 },
    { output: "error: Module not found\n", failed: undefined },
  ];
  for (const tc of cases) {
    await t.step(JSON.stringify(tc.output), () => {
      assert.equal(failedInDenoOutput(tc.output), tc.failed);
    });
  }
});

Deno.test("summaryLine() prints skipped only when some were", () => {
  assert.equal(summaryLine({ passed: 3, failed: 0, skipped: 0 }), "3 passed, 0 failed");
  assert.equal(summaryLine({ passed: 3, failed: 1, skipped: 2 }), "3 passed, 1 failed, 2 skipped");
});
