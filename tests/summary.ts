/** Counting test results the way `deno test` does: top-level tests only, steps aside. */

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
}

interface TestCase {
  suite: number;
  name: string;
  outcome: "passed" | "failed" | "skipped";
}

/**
 * Counts the top-level tests of a Deno JUnit report.
 *
 * Deno 2.9 writes each step as its own `<testcase>` named `"<parent> > <step>"`, after the
 * top-level tests of the same `<testsuite>`; such cases are left out. Ignored tests are `skipped`.
 */
export function summarizeJunit(xml: string): Summary {
  const cases: TestCase[] = [];
  const suites = xml.split(/<testsuite\b/).slice(1);
  suites.forEach((suite, index) => {
    for (const match of suite.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
      const name = decodeXml(/\bname="([^"]*)"/.exec(match[1] ?? "")?.[1] ?? "");
      const body = match[3] ?? "";
      const outcome = /<(failure|error)\b/.test(body)
        ? "failed"
        : /<skipped\b/.test(body)
        ? "skipped"
        : "passed";
      cases.push({ suite: index, name, outcome });
    }
  });
  const summary: Summary = { passed: 0, failed: 0, skipped: 0 };
  for (const testCase of cases) {
    const isStep = cases.some((other) =>
      other !== testCase && other.suite === testCase.suite &&
      testCase.name.startsWith(`${other.name} > `)
    );
    if (!isStep) summary[testCase.outcome]++;
  }
  return summary;
}

/**
 * Reads the failure count from `deno test`'s closing line (`FAILED | 3 passed | 1 failed …`).
 *
 * The JUnit report leaves out files that failed to load, while this line counts them.
 */
export function failedInDenoOutput(output: string): number | undefined {
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const lines = plain.split("\n").filter((line) => /^(ok|FAILED) \|/.test(line.trim()));
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  return Number(/\| (\d+) failed/.exec(last)?.[1] ?? 0);
}

/** The closing line: `N passed, N failed`, plus `, N skipped` when any were. */
export function summaryLine(summary: Summary): string {
  const line = `${summary.passed} passed, ${summary.failed} failed`;
  return summary.skipped > 0 ? `${line}, ${summary.skipped} skipped` : line;
}

const XML_ENTITIES: Record<string, string> = { lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" };

function decodeXml(text: string): string {
  return text.replace(
    /&(lt|gt|quot|apos|amp);/g,
    (_, entity: string) => XML_ENTITIES[entity] ?? "",
  );
}
