/**
 * Golden render output for representative inputs: `tests/golden/<case>/input.yaml` must render
 * (`apigw render --now 2026-01-01T00:00:00Z`) to `expected.yaml` byte for byte. Regenerate with
 * `deno task golden` (UPDATE_GOLDEN=1) and review the diff like code.
 */
import assert from "node:assert/strict";

const DIR = new URL("./", import.meta.url);
const REPO = new URL("../../", import.meta.url);
const UPDATE = Deno.env.get("UPDATE_GOLDEN") === "1";

Deno.test("render output matches the golden files", async (t) => {
  const cases = [...Deno.readDirSync(DIR)].filter((e) => e.isDirectory).map((e) => e.name).sort();
  assert.ok(cases.length > 0);
  for (const name of cases) {
    await t.step(name, async () => {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "main.ts", "render", "-f", `tests/golden/${name}/input.yaml`, "--now", "2026-01-01T00:00:00Z"],
        cwd: REPO,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      const text = `# exit code ${output.code}\n` +
        (stderr ? stderr.trimEnd().split("\n").map((l) => `# stderr: ${l}`).join("\n") + "\n" : "") +
        new TextDecoder().decode(output.stdout);
      const expectedFile = new URL(`${name}/expected.yaml`, DIR);
      if (UPDATE) await Deno.writeTextFile(expectedFile, text);
      const expected = await Deno.readTextFile(expectedFile).catch(() => "");
      assert.equal(text, expected, `tests/golden/${name}/expected.yaml is stale: run \`deno task golden\``);
    });
  }
});
