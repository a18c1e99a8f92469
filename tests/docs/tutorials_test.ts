/**
 * The tutorials of docs/tutorials/ (and the install guide's offline steps), run step by step as a reader copies them (tests/docs/_tutorial.ts
 * says how blocks are marked): files written, offline commands run, `apigw serve` started and the
 * documented requests answered with the documented statuses. The cluster steps run in
 * tutorials_cluster_test.ts, against the test cluster.
 */
import assert from "node:assert/strict";
import {
  assertShown,
  parseSteps,
  runCommand,
  runRequest,
  Shell,
  startServe,
  tutorialFiles,
  waitForLog,
  withFreePorts,
} from "./_tutorial.ts";

const tutorials = tutorialFiles();

Deno.test("there are tutorials, and each has steps this test runs", async () => {
  assert.ok(tutorials.length >= 7, `found ${tutorials.length} tutorials`);
  for (const path of tutorials) {
    const steps = parseSteps(await Deno.readTextFile(path));
    assert.ok(
      steps.some((s) => s.kind === "offline" || s.kind === "serve"),
      `${path} has offline or serve steps`,
    );
  }
});

for (const path of tutorials) {
  const name = path.slice(path.lastIndexOf("/docs/") + 1);
  Deno.test(`${name}: offline and serve steps`, async () => {
    const { text } = withFreePorts(await Deno.readTextFile(path));
    const steps = parseSteps(text);
    await using shell = await Shell.create();
    const variables: Record<string, string> = {};
    // The output of the last offline block; an output block after a cluster block is not ours.
    let output: string | undefined;
    let log: string | undefined;
    for (const step of steps) {
      const where = `${name}:${step.line}`;
      if (step.kind === "file") {
        await shell.write(step.name, step.text);
      } else if (step.kind === "offline") {
        output = "";
        for (const line of step.lines) {
          const ran = await runCommand(shell, line, variables, where);
          output += ran.stdout + ran.stderr;
        }
      } else if (step.kind === "output") {
        if (output !== undefined) assertShown(output, step.lines, where);
      } else if (step.kind === "log") {
        assert.ok(log !== undefined, `${where}: a log block follows a serve block`);
        await waitForLog(log, step.lines, where);
      } else if (step.kind === "cluster") {
        output = undefined;
      } else if (step.kind === "serve") {
        log = await startServe(shell, step.lines[0]!, where);
        for (const line of step.lines.slice(1)) {
          await runRequest(shell, line, variables, { poll: false, where });
        }
      } else if (step.kind === "requests") {
        for (const line of step.lines) {
          await runRequest(shell, line, variables, { poll: step.poll, where });
        }
      }
    }
  });
}
